// Stimulus pools → stimuli. Everything other parts need from here.
export { literalPrompts, materializePools, materializeSourcePool, promptsForPool, type MaterializeOptions, type PoolPrompt } from './materialize.ts';
export { StimulusError, type Stimulus } from './stimulus.ts';
export { readImportFile, inferFormat, type ImportedText, type ImportFormat } from './import-file.ts';
export { generatedPoolFile, readGeneratedPool, type GeneratedRecord } from './generated-file.ts';
export { brownPassages, brownSentences, detokenise, brownPressFiles } from './brown.ts';
export { splitSentences, countWords } from './sentences.ts';
