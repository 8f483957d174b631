export { SkipGramObjective, SKIP_GRAM_OBJECTIVE_OPTIONS } from './SkipGramObjective.ts';
export { sgnsLoss, sgnsLossFromScores, sgnsScores } from './sgnsLoss.ts';
