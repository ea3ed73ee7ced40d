// Rotated options (MMLU_ROTATE=on, circular evaluation): each question asked
// once per rotation of its options, so its key sits once under each letter.
// Pure functions over records. The unit is one question in one trial: its
// rotations are compared with each other.
import { LETTERS } from '../dataset/question.js'
import type { QuestionRecord } from '../base/record.js'
import { questionKey } from '../base/record.js'
import { originalOption } from '../prompt/variants.js'
import { maxOf } from '../base/extent.js'

export interface RotationSummary {
  /** Rotations of the questions with the most options (4 for MMLU). */
  rotations: number
  /** Accuracy under each rotation r (0: as written; r: every option moved r letters down). */
  accuracies: number[]
  /** Questions (× trials) asked under every one of their rotations. */
  questions: number
  /** Questions (× trials) some of whose rotations were never asked: outside circular accuracy and consistency. */
  incomplete: number
  /** Share of questions right under every rotation (circular evaluation; MMBench's CircularEval). */
  circular: number
  /** Share of questions where the same option (not letter) was chosen under every rotation. */
  consistency: number
  /** Questions kept as written, unrotated, because an option points at other options ("All of the above", "A and C"): outside every rotation figure. */
  keptAsWritten: number
}

/** The model's answers: errors and questions not asked are outside every accuracy (summary.ts). */
const asked = (r: QuestionRecord) => r.outcome !== 'not-asked' && r.outcome !== 'error'

/** The rotation view of the given records; undefined when they were not rotated. */
export function rotationSummary(records: readonly QuestionRecord[]): RotationSummary | undefined {
  const rotated = records.filter((r) => r.rotation !== undefined)
  if (rotated.length === 0) return undefined
  const options = (r: QuestionRecord) => r.options ?? 4
  const rotations = maxOf(rotated.map(options))
  const right = new Array<number>(rotations).fill(0)
  const total = new Array<number>(rotations).fill(0)
  const units = new Map<string, QuestionRecord[]>()
  for (const r of rotated) {
    const unit = `${questionKey(r)}/t${r.trial ?? ''}`
    const list = units.get(unit)
    if (list) list.push(r)
    else units.set(unit, [r])
    if (!asked(r)) continue
    total[r.rotation!]!++
    if (r.outcome === 'correct') right[r.rotation!]!++
  }
  let complete = 0
  let circular = 0
  let consistent = 0
  for (const rs of units.values()) {
    const n = options(rs[0]!)
    const seen = new Set(rs.filter(asked).map((r) => r.rotation))
    if (seen.size < n) continue
    complete++
    const answered = rs.filter(asked)
    if (answered.every((r) => r.outcome === 'correct')) circular++
    const chosen = new Set(answered.map((r) => (r.given === null || r.outcome === 'error' ? -1 : originalOption(r.given, r.rotation!, n))))
    if (chosen.size === 1 && !chosen.has(-1)) consistent++
  }
  const unrotated = new Set(records.filter((r) => r.rotation === undefined).map(questionKey))
  return {
    rotations,
    accuracies: total.map((n, r) => (n ? right[r]! / n : NaN)),
    questions: complete,
    incomplete: units.size - complete,
    circular: complete ? circular / complete : NaN,
    consistency: complete ? consistent / complete : NaN,
    keptAsWritten: unrotated.size,
  }
}

/** `+1 (A→B)`: how a rotation is named. */
export function rotationName(r: number): string {
  return r === 0 ? 'as written' : `+${r} (A→${LETTERS[r]})`
}
