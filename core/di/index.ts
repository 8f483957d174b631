export { TOKENS, ROLE_TOKENS } from './tokens.ts';
export { coreModule, pluginsModule, createContainer, createTrainer, type Recipe } from './createContainer.ts';
