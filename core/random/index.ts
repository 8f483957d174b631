export { Rng } from './Rng.ts';
