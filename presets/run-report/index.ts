/** Run reports: report.html of a run folder, and a page comparing runs. */
export { lineChart, ticks, escapeXml, type Series, type ChartOptions } from './lineChart.ts';
export { readRun, readRecords, type RunData, type StageData } from './readRun.ts';
export { reportHtml, stageCharts, throughput, type ReportExtras } from './reportHtml.ts';
export { writeReport, REPORT_FILE } from './writeReport.ts';
export { configKeys, differingKeys, compareMarkdown, compareHtml } from './compareRuns.ts';
