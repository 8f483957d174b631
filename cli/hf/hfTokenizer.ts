import { ErrorCodes, GraftError, type Tokenizer } from '../../core/index.ts';
import { ByteBpeTokenizer } from '../../plugins/tokenizers/byte-bpe/ByteBpeTokenizer.ts';
import { GPT2_PATTERN } from '../../plugins/tokenizers/byte-bpe/pretokenize.ts';

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/**
 * A byte-bpe tokenizer as a Hugging Face `tokenizers` tokenizer.json: model BPE with the vocab
 * (each id's GPT-2 byte spelling, `idToToken`) and the merges in rank order ("a b" of spellings),
 * byte-level pre-tokenizer and decoder, the specials as added tokens. Graft's pattern is GPT-2's
 * regex, which is what ByteLevel(use_regex) splits with; a custom pattern becomes a Split
 * pre-tokenizer before ByteLevel(use_regex: false). Ids are Graft's own (bytes 0-255 in byte
 * order, then merges, then specials): the same ids the exported model was trained on.
 *
 * Differences stated, not hidden: Hugging Face always splits added special tokens out of the text,
 * while Graft reads "<|endoftext|>" in text as plain characters unless `allowSpecialInText`.
 * A vocabulary where two merges spell the same bytes cannot be a BPE vocab map: a
 * GRAFT_ERR_CHECKPOINT. Other tokenizer types (char, word) have no byte-level form: also refused.
 */
export function hfTokenizerJson(given: Tokenizer): Record<string, unknown> {
  // A tokenizer with a chat template is a wrapper around the byte-bpe one; its JSON is the same plus the template.
  const tok = given instanceof ByteBpeTokenizer ? given : given.type === 'byte-bpe' ? ByteBpeTokenizer.fromJSON(given.toJSON()) : undefined;
  if (tok === undefined || tok.vocabSize !== given.vocabSize) {
    throw new GraftError(ErrorCodes.CHECKPOINT, `cannot export a ${given.type} tokenizer${tok ? ' with tokens added by a chat template' : ''} as a Hugging Face byte-level BPE tokenizer.json`, {
      hint: 'Only tokenizer:byte-bpe maps to GPT-2\'s tokenizer format; the model files are written without tokenizer.json',
    });
  }
  const vocab: Record<string, number> = {};
  for (let id = 0; id < tok.vocabSize; id++) {
    const s = tok.idToToken(id);
    if (Object.hasOwn(vocab, s)) {
      throw new GraftError(ErrorCodes.CHECKPOINT, `tokens ${vocab[s]} and ${id} spell the same bytes ("${s}"): a Hugging Face BPE vocab maps each spelling to one id`, {
        hint: 'This vocabulary has no exact tokenizer.json; the model files are written without it',
      });
    }
    vocab[s] = id;
  }
  const merges = tok.merges.map(([a, b]) => `${tok.idToToken(a)} ${tok.idToToken(b)}`);
  const added = Object.entries(tok.specials)
    .sort((x, y) => x[1]! - y[1]!)
    .map(([, id]) => ({ id, content: tok.idToToken(id!), single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const preTokenizer =
    tok.pattern === GPT2_PATTERN
      ? BYTE_LEVEL
      : { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: tok.pattern }, behavior: 'Isolated', invert: false }, { ...BYTE_LEVEL, use_regex: false }] };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: { ...BYTE_LEVEL, trim_offsets: false },
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** tokenizer_config.json and special_tokens_map.json contents: which added tokens are bos/eos/pad/... */
export function hfSpecialTokens(tok: Tokenizer): Record<string, string> {
  const out: Record<string, string> = {};
  const names: Record<string, string> = { bos: 'bos_token', eos: 'eos_token', pad: 'pad_token', unk: 'unk_token', mask: 'mask_token', sep: 'sep_token' };
  for (const [k, id] of Object.entries(tok.specials)) if (id !== undefined && names[k]) out[names[k]!] = tok.idToToken(id);
  return out;
}
