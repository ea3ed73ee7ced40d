// Options that point at other options by position ("All of the above",
// "Both A and C"): rotating the options (MMLU_ROTATE=on) changes what they
// mean, since "above" and the letters then name other options. Such
// questions are kept as written under rotation. Pure.
//
// The rule, per option (trimmed): it names other options by their position,
// which is what a rotation changes:
// 1. "above" or "below" after "of the", "of" or "the" ("All of the above",
//    "none of above", "Any 2 of the above values"), unless a word such as
//    "statements", "passage" or "information" follows (those name the question's text);
// 2. or it is made of option letters (capital A-J, optionally in
//    parentheses) joined by "and", "or", "nor", "&" or commas, optionally after
//    both / only / neither / either / all of, and optionally followed by
//    "only", "are correct", "are true" ("A and D", "both (A) and (C)",
//    "A, B, and C", "B and C only"), or "only A" / "A only".
// Not flagged: "None of these", "Both of these", "All of these options":
// they name the other options as a set, whatever their order. Roman
// numerals ("I and II only") name statements in the question, not options.
// On MMLU's 14,042 test questions: 523 questions, 238 of them keyed on such
// an option (test/option-references.test.ts counts them when the data is there).

const ABOVE = /\b(?:of the|of|the) (?:above|below)\b(?!\s+(?:statements?|sentences?|passages?|excerpts?|text|paragraph|quotes?|quotations?|information|facts?|data|table|list|scenario|situation|case|argument|example|poem|question))/i
const LETTER = String.raw`\(?[A-J]\)?`
const LETTER_LIST = new RegExp(
  String.raw`^(?:(?:both|only|neither|either|all of)\s+)?${LETTER}(?:\s*(?:,\s*and|,\s*or|,|and|or|&|nor)\s*${LETTER})+(?:\s+(?:only|both|are correct|are true|are false))?\s*\.?$`,
)
const LONE_LETTER = new RegExp(String.raw`^(?:only\s+${LETTER}|${LETTER}\s+only)\s*\.?$`)

/** Whether one option's text refers to other options (see the rule above). */
export function refersToOptions(option: string): boolean {
  const t = option.trim()
  if (ABOVE.test(t)) return true
  // Lowercase the connecting words only, so "Both A and B" matches while "a and b" (words) does not.
  const words = t.replace(/\b(Both|Only|Neither|Either|All of|And|Or|Nor|Are Correct|Are True|Are False)\b/g, (w) => w.toLowerCase())
  return LETTER_LIST.test(words) || LONE_LETTER.test(words)
}

/** Whether any of a question's options refers to other options: then rotating them would change the question. */
export function hasOptionReferences(choices: readonly string[]): boolean {
  return choices.some(refersToOptions)
}
