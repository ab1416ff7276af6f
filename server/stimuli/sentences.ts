// The sentence splitter lives in studies/ so the browser bundle can import it;
// the server takes it from here.
export { splitSentences, countWords } from '../../studies/sentences.ts';
