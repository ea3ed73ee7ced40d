import { minOf } from '../base/extent.js'
// The 57 MMLU subjects, their lm-evaluation-harness category and the canonical
// number of test questions (Hendrycks et al., 14,042 in all). The counts let a
// run detect an incomplete or truncated copy of the data.

export const CATEGORIES = ['stem', 'humanities', 'social_sciences', 'other'] as const
export type Category = (typeof CATEGORIES)[number]

export const CATEGORY_LABELS: Record<Category, string> = {
  stem: 'STEM',
  humanities: 'Humanities',
  social_sciences: 'Social sciences',
  other: 'Other',
}

export interface SubjectInfo {
  category: Category
  testCount: number
}

export const SUBJECTS = {
  abstract_algebra: { category: 'stem', testCount: 100 },
  anatomy: { category: 'stem', testCount: 135 },
  astronomy: { category: 'stem', testCount: 152 },
  business_ethics: { category: 'other', testCount: 100 },
  clinical_knowledge: { category: 'other', testCount: 265 },
  college_biology: { category: 'stem', testCount: 144 },
  college_chemistry: { category: 'stem', testCount: 100 },
  college_computer_science: { category: 'stem', testCount: 100 },
  college_mathematics: { category: 'stem', testCount: 100 },
  college_medicine: { category: 'other', testCount: 173 },
  college_physics: { category: 'stem', testCount: 102 },
  computer_security: { category: 'stem', testCount: 100 },
  conceptual_physics: { category: 'stem', testCount: 235 },
  econometrics: { category: 'social_sciences', testCount: 114 },
  electrical_engineering: { category: 'stem', testCount: 145 },
  elementary_mathematics: { category: 'stem', testCount: 378 },
  formal_logic: { category: 'humanities', testCount: 126 },
  global_facts: { category: 'other', testCount: 100 },
  high_school_biology: { category: 'stem', testCount: 310 },
  high_school_chemistry: { category: 'stem', testCount: 203 },
  high_school_computer_science: { category: 'stem', testCount: 100 },
  high_school_european_history: { category: 'humanities', testCount: 165 },
  high_school_geography: { category: 'social_sciences', testCount: 198 },
  high_school_government_and_politics: { category: 'social_sciences', testCount: 193 },
  high_school_macroeconomics: { category: 'social_sciences', testCount: 390 },
  high_school_mathematics: { category: 'stem', testCount: 270 },
  high_school_microeconomics: { category: 'social_sciences', testCount: 238 },
  high_school_physics: { category: 'stem', testCount: 151 },
  high_school_psychology: { category: 'social_sciences', testCount: 545 },
  high_school_statistics: { category: 'stem', testCount: 216 },
  high_school_us_history: { category: 'humanities', testCount: 204 },
  high_school_world_history: { category: 'humanities', testCount: 237 },
  human_aging: { category: 'other', testCount: 223 },
  human_sexuality: { category: 'social_sciences', testCount: 131 },
  international_law: { category: 'humanities', testCount: 121 },
  jurisprudence: { category: 'humanities', testCount: 108 },
  logical_fallacies: { category: 'humanities', testCount: 163 },
  machine_learning: { category: 'stem', testCount: 112 },
  management: { category: 'other', testCount: 103 },
  marketing: { category: 'other', testCount: 234 },
  medical_genetics: { category: 'other', testCount: 100 },
  miscellaneous: { category: 'other', testCount: 783 },
  moral_disputes: { category: 'humanities', testCount: 346 },
  moral_scenarios: { category: 'humanities', testCount: 895 },
  nutrition: { category: 'other', testCount: 306 },
  philosophy: { category: 'humanities', testCount: 311 },
  prehistory: { category: 'humanities', testCount: 324 },
  professional_accounting: { category: 'other', testCount: 282 },
  professional_law: { category: 'humanities', testCount: 1534 },
  professional_medicine: { category: 'other', testCount: 272 },
  professional_psychology: { category: 'social_sciences', testCount: 612 },
  public_relations: { category: 'social_sciences', testCount: 110 },
  security_studies: { category: 'social_sciences', testCount: 245 },
  sociology: { category: 'social_sciences', testCount: 201 },
  us_foreign_policy: { category: 'social_sciences', testCount: 100 },
  virology: { category: 'other', testCount: 166 },
  world_religions: { category: 'humanities', testCount: 171 },
} as const satisfies Record<string, SubjectInfo>

export type Subject = keyof typeof SUBJECTS

export const SUBJECT_NAMES = Object.keys(SUBJECTS) as Subject[]

export const TOTAL_TEST_QUESTIONS = SUBJECT_NAMES.reduce((n, s) => n + SUBJECTS[s].testCount, 0)

export function isSubject(name: string): name is Subject {
  return Object.hasOwn(SUBJECTS, name)
}

/** A category as people read it: MMLU's four by their labels, a topic's own by its name. */
export function categoryLabel(category: string): string {
  return Object.hasOwn(CATEGORY_LABELS, category) ? CATEGORY_LABELS[category as Category] : category.replaceAll('_', ' ')
}

export function categoryOf(subject: Subject): Category {
  return SUBJECTS[subject].category
}

/** `high_school_us_history` → `high school us history`, as lm-eval writes it in the prompt header. */
export function subjectTitle(subject: string): string {
  return subject.replaceAll('_', ' ')
}

/**
 * Edit distance (insertions, deletions, substitutions) from `a` to the closest
 * substring of `b` when `anywhere` is true, else to the whole of `b`.
 */
export function editDistance(a: string, b: string, anywhere: boolean): number {
  // With `anywhere`, a match may start at any position of b (free prefix) ...
  let prev = Array.from({ length: b.length + 1 }, (_, j) => (anywhere ? 0 : j))
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost)
    }
    prev = row
  }
  // ... and end at any position (free suffix).
  return anywhere ? minOf(prev) : prev[b.length]!
}

/**
 * Up to three subject names that look like `name`, best first. A name matches when
 * it contains `name` with at most a quarter of its characters mistyped (at least one):
 * `astronmy` → astronomy, `physics` → college_physics, conceptual_physics,
 * high_school_physics. Only the best matches are kept, ties ordered by whole-name
 * edit distance. Case, spaces and hyphens are forgiven. Empty when nothing is close.
 */
export function suggestSubjects(name: string): string[] {
  const query = name.trim().toLowerCase().replace(/[\s-]+/g, '_')
  if (query === '') return []
  const maxEdits = Math.max(1, Math.floor(query.length / 4))
  const candidates = SUBJECT_NAMES.map((subject) => ({
    subject,
    inside: editDistance(query, subject, true),
    whole: editDistance(query, subject, false),
  })).filter((c) => c.inside <= maxEdits)
  const best = minOf(candidates.map((c) => c.inside))
  return candidates
    .filter((c) => c.inside === best)
    .sort((x, y) => x.whole - y.whole)
    .slice(0, 3)
    .map((c) => c.subject)
}

/**
 * Hints for command-line file filters that matched no subject file, as in
 * `npx vitest run evals/astronmy`, where Vitest itself says only "No test files
 * found" (or, beside a filter that matched, nothing). `ran` holds the files the
 * run found besides (paths relative to the root). A filter under `evals/` always gets a
 * line; a bare word only when a subject is close to it, so filters meant for
 * other test files stay quiet.
 */
export function subjectFilterHints(filters: readonly string[], ran: readonly string[]): string[] {
  // Vitest matches a filter as a substring of a file's path. Whether a subject file ran does not
  // matter (a failed global setup runs none): a filter that names one is no typo.
  const files = [...SUBJECT_NAMES.map((s) => `evals/${s}.eval.ts`), ...ran.map((f) => f.toLowerCase())]
  const hints: string[] = []
  for (const raw of filters) {
    const filter = raw.replace(/^\.\//, '').replace(/:\d+$/, '')
    if (files.some((f) => f.includes(filter.toLowerCase()))) continue
    const underEvals = /^evals\//.test(filter)
    if (!underEvals && /[/.]/.test(filter)) continue
    const name = filter.replace(/^evals\//, '').replace(/(\.eval)?(\.ts)?$/, '')
    if (name === '') continue
    const near = suggestSubjects(name)
    if (near.length) hints.push(`${raw} matches no subject file: did you mean ${near.map((s) => `evals/${s}`).join(', ')}?`)
    else if (underEvals) hints.push(`${raw} matches no subject file: the ${SUBJECT_NAMES.length} subjects are the files in evals/ (src/dataset/subjects.ts lists them).`)
  }
  return hints
}

/** A subject's or topic's name from its test file: `evals/astronomy.eval.ts` → `astronomy`. */
export function subjectOfFile(file: string): string {
  return file.replace(/^.*[\\/]/, '').replace(/\.eval\.[cm]?[jt]s$/, '')
}
