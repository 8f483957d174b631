/** Recipes as data: stages of plugins with their options, keys derived from the plugins' schemas, recipe files. */
export { use, emptySlot, isEmptySlot, EmptySlot, type Use, type UseOptions } from './use.ts';
export { stage, slotsOf, effectiveUses, type RecipeStage } from './stage.ts';
export { recipe, alias, choice, checkRecipe, suggestKeys, type Recipe, type RecipeInput, type Alias, type ValueAlias, type ChoiceAlias } from './recipe.ts';
export { checkpointOf, tokenizerOf, isHandOver, resolveHandOvers, type HandOver, type HandOverKind } from './refs.ts';
export { recipeKeys, stageKeys, TRAINER_SLOT, type ConfigKey } from './keys.ts';
export { configure, override, parseSets, parseUses, type Settings } from './configure.ts';
export { toStageSpec, stageSpecs, construct } from './stageSpec.ts';
export { optionsOf, isOptionsRef, resolveOptionsRefs, type OptionsRef } from './optionsRef.ts';
export { validateRecipe } from './validateRecipe.ts';
export { recipePreset, isRecipe } from './recipePreset.ts';
export { recipeToData, recipeFromData, pathText, type RecipeData, type StageData, type UseData, type AliasData, type Locate } from './recipeData.ts';
export { loadRecipeFile, parseRecipeText, isRecipeFile, type LoadedRecipe } from './recipeFile.ts';
export { pluginRegistry, builtinRegistry, loadPluginPackages, type PluginRegistry } from './registry.ts';
export { describeRecipeKeys, aliasRows, experimentRows, keyRows, formatRows, type KeyRow } from './describeKeys.ts';
export { defineExperiment, findExperiment, experimentOptions, resultNumber, type Experiment, type ExperimentUse } from './experiment.ts';
export { renamedStage, resolveStageHandOvers, withStageOptions, withoutKinds } from './stageEdit.ts';
