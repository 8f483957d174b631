export { TOKENS, ROLE_TOKENS } from './tokens.ts';
export { coreModule, pluginsModule, replaceSlot, addPlugins, createContainer, createTrainer, type Recipe } from './createContainer.ts';
export { slotToken, slotNames, orderByDependencies } from './slots.ts';
