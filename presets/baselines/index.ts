export * from './bagOfWords.ts';
export * from './bagOfWordsBaseline.ts';
export * from './cellBaselines.ts';
