// A short explanation that follows from a study's numbers: what happened to
// the work when files ran in parallel, whether in-file concurrency paid, why,
// and what to do about it. Pure: the figures and the machine in, paragraphs
// out (plain text; `backticks` mark commands and settings).
import type { ProfileFigures, QuestionWork, StudyAnalysis, SweepPoint } from './analysis.js'
import { maxOf } from '../base/extent.js'

export interface MachineFacts {
  /** Logical CPUs (availableParallelism). */
  cpus: number
  physicalCores: number
  /** 1-minute load average when the study started and ended. */
  loadBefore: number
  loadAfter: number
}

/** How much of the ideal gain parallel work got: none, part, (nearly) all, or a loss. */
export type Verdict = 'slower' | 'none' | 'partial' | 'full'

/** Share of the ideal gain: 0 when N at once are as fast as one, 1 when N× faster. */
export function verdictOf(gain: number, ideal: number): Verdict {
  if (gain < 0.9) return 'slower'
  const share = ideal > 1 ? (gain - 1) / (ideal - 1) : 0
  // Under a fifth more work done is within the noise of a shared machine; more is a gain, whatever share of the ideal.
  if (gain < 1.2) return 'none'
  if (share >= 0.7) return 'full'
  return 'partial'
}

/**
 * Requests waited for each other: the work did not speed up, and each
 * question took about as much longer as there were requests in flight
 * (Little's law: latency × throughput = requests in flight).
 */
export function isQueueing(gain: number, latencyInflation: number, inFlight: number): boolean {
  const verdict = verdictOf(gain, inFlight)
  return (verdict === 'none' || verdict === 'slower') && latencyInflation >= 0.75 * (inFlight / gain)
}

type EngineKind = 'ollama' | 'openai' | 'embedded' | 'other'

function engineKind(engine: string | undefined): EngineKind {
  if (engine === 'ollama') return 'ollama'
  if (engine === 'openai') return 'openai'
  if (engine === 'llama.cpp') return 'embedded'
  return 'other'
}

const x = (v: number): string => `${v.toFixed(2)}×`
const time = (msValue: number): string => (msValue >= 1000 ? `${(msValue / 1000).toFixed(2)} s` : `${Math.round(msValue)} ms`)

function threadsOf(p: ProfileFigures | undefined): number | undefined {
  const t = p?.runs[0]?.results.provenance[0]?.details.threads
  return typeof t === 'number' ? t : undefined
}

/** Why more threads in one process cost more than they look (bench/decode-cost.ts). */
const THREAD_START = 'llama.cpp also starts its helper threads anew for each decode'

const SERVER = { ollama: 'The Ollama server', openai: 'The server', embedded: 'The engine', other: 'The engine' } as const

function filesParagraph(a: StudyAnalysis, kind: EngineKind, machine: MachineFacts): { text: string; verdict: Verdict; queueing: boolean } | undefined {
  const { sequential: seq, files, speedup, latencyInflation } = a
  if (!seq || !files || speedup === undefined || latencyInflation === undefined) return undefined
  const workers = files.workersUsed
  const lines = [
    `Files in parallel (${workers} workers, the seed's \`a & b & wait\`) took ${x(seq.busyMs > 0 ? files.busyMs / seq.busyMs : NaN)} the time of one file after the other (\`a; b\`): a speedup of ${x(speedup)}, ` +
      `while each question took ${x(latencyInflation)} as long (mean ${time(seq.latencyMs.mean)} → ${time(files.latencyMs.mean)}).`,
  ]
  if (workers < 2) {
    lines.push('Only one worker ran, so nothing could overlap: study two or more subjects.')
    return { text: lines.join(' '), verdict: 'none', queueing: false }
  }
  const verdict = verdictOf(speedup, workers)
  // An embedded engine has no queue: each worker runs its own llama.cpp, and what they wait for is the CPU.
  const queueing = kind !== 'embedded' && isQueueing(speedup, latencyInflation, workers)
  const [tSeq, tFiles] = [threadsOf(seq), threadsOf(files)]
  const fewerThreads = kind === 'embedded' && tSeq !== undefined && tFiles !== undefined && tFiles < tSeq
  if (verdict === 'none' && fewerThreads) {
    lines.push(
      `The cores are the limit here, not a queue: llama.cpp ran on ${tSeq} threads in one worker and on ${tFiles} in each of ${workers} workers, so the workers split the same CPU and each question ran about ${x(latencyInflation)} slower.`,
    )
  } else if (verdict === 'none' && kind === 'embedded') {
    const load = Math.max(machine.loadBefore, machine.loadAfter)
    lines.push(
      `The CPU is the limit here, not a queue: ${workers} llama.cpp workers shared ${machine.physicalCores} physical core${machine.physicalCores === 1 ? '' : 's'}` +
        (sharedMachine(machine) ? ` with other work (load average up to ${load.toFixed(1)})` : '') +
        `, so together they got no more compute than one worker alone, and each question took about ${x(latencyInflation)} as long.`,
    )
  } else if (fewerThreads && speedup > workers * 1.1) {
    lines.push(
      `That is more than ${workers} workers can give by running at once: the rest comes from the threads. Each worker's llama.cpp ran on ${tFiles} thread${tFiles === 1 ? '' : 's'} instead of ${tSeq}, ` +
        `and the threads of one process wait for each other at every step of a decode (${THREAD_START}), so fewer threads per process ran faster (try \`MMLU_THREADS=${tFiles}\` on one worker).`,
    )
  } else if (fewerThreads && (verdict === 'partial' || verdict === 'full')) {
    lines.push(
      `The workers split the cores, not a queue: each worker's llama.cpp ran on ${tFiles} thread${tFiles === 1 ? '' : 's'} instead of ${tSeq} in one process. ` +
        `Together they kept the cores busier than one process whose threads meet at every step of every decode (${THREAD_START}).`,
    )
  } else if (queueing) {
    lines.push(
      `${SERVER[kind]} served one request at a time and queued the rest: the files' questions took turns, so each waited for one from the other file. ` +
        `This is queueing, the seed experiment's finding: parallel clients cannot finish sooner than a server that serves one request at a time.`,
    )
  } else if (verdict === 'none') {
    lines.push(`The work did not overlap, yet latency rose only ${x(latencyInflation)}: something besides the backend kept the files apart (see the timeline: did they run at the same time?).`)
  } else if (verdict === 'full') {
    lines.push(`The files really ran at the same time: ${SERVER[kind].toLowerCase()} served them in parallel (${x(speedup)} of an ideal ${workers}×).`)
  } else if (verdict === 'partial') {
    lines.push(`The files overlapped only in part (${x(speedup)} of an ideal ${workers}×): the backend serves some requests in parallel, or the workers share another limit (cores, memory bandwidth).`)
  } else {
    lines.push(`Parallel files were slower: contention between the workers (threads, memory, or a server that handles concurrent clients worse than one) cost more than the overlap gained.`)
  }
  return { text: lines.join(' '), verdict, queueing }
}

/**
 * Why batching can or cannot pay on the embedded engine, from the size of a
 * question's decodes: a decode costs a fixed part, paid once per batch, and a
 * part per token, paid in full whatever the batch.
 */
function decodeMechanism(work: QuestionWork | undefined): string | undefined {
  if (!work) return undefined
  const fixed = 'A decode costs a fixed part (starting llama.cpp\'s threads, reading the weights), paid once however many questions share it, and a part per token, paid in full for each'
  const prompt = Math.round(work.promptTokens)
  if (work.scoring === 'generate' && work.generatedTokens >= 2) {
    const steps = Math.round(work.generatedTokens - 1)
    return `Each question was one decode of about ${prompt} new prompt tokens, then about ${steps} decodes of one token each. ${fixed}: a one-token decode is mostly fixed part, and that is what a batch shares.`
  }
  return `Each question was one decode of about ${prompt} new tokens. ${fixed}: at ${prompt} tokens a decode is mostly per-token compute, so batching has little to share.`
}

function sweepParagraph(a: StudyAnalysis, kind: EngineKind): { text: string; best: SweepPoint; verdict: Verdict; queueing: boolean } | undefined {
  const points = a.sweep.filter((p) => Number.isFinite(p.gain))
  const top = points.at(-1)
  if (!top || top.concurrency === 1) return undefined
  // Judge by the best level: past it, more in flight may only add waiting.
  const best = points.reduce((b, p) => (p.throughput > b.throughput ? p : b))
  const judged = best.concurrency === 1 ? top : best
  const verdict = verdictOf(judged.gain, judged.concurrency)
  const queueing = isQueueing(top.gain, top.latencyInflation, top.concurrency) && (verdict === 'none' || verdict === 'slower')
  const first = `${judged.concurrency} questions in flight inside each file gave ${x(judged.gain)} the throughput of one at a time (latency ${x(judged.latencyInflation)})`
  let text: string
  if (queueing || verdict === 'none' || verdict === 'slower') {
    const why =
      kind === 'embedded'
        ? `llama.cpp batches the in-flight questions into one decode, but on this CPU a batch cost ${judged.gain < 0.9 ? 'more than' : 'as much as'} its questions one by one`
        : queueing
          ? 'the requests waited in the server\'s queue (queueing), so more in flight only made each wait longer'
          : 'the backend did not serve them any faster together'
    text = `In-file concurrency did not pay: ${first}: ${why}.`
  } else {
    const how =
      kind === 'embedded'
        ? 'llama.cpp batches the in-flight questions of a file into one decode on separate sequences, which costs less than running them one by one'
        : 'the backend serves requests in parallel (parallel slots or a batching server)'
    text = `In-file concurrency pays${verdict === 'partial' ? ' in part' : ''}: ${first}: ${how}.`
    if (top.concurrency !== judged.concurrency) text += ` Beyond that it fell back: ${top.concurrency} in flight gave ${x(top.gain)}.`
  }
  const mechanism = kind === 'embedded' ? decodeMechanism(a.work) : undefined
  if (mechanism) text += ` ${mechanism}`
  return { text, best, verdict, queueing }
}

/**
 * The seed's other remedy: N servers, one question in flight on each, against
 * the first alone. Servers that do not share a machine scale with N; servers
 * on one machine share its compute, as parallel files share one server.
 */
function serversParagraph(a: StudyAnalysis): { text: string; verdict: Verdict } | undefined {
  const { sequential: seq, servers, serversGain: gain, serversLatencyInflation: inflation } = a
  if (!seq || !servers || gain === undefined || inflation === undefined) return undefined
  const n = servers.count
  const verdict = verdictOf(gain, n)
  const first = `${n} servers, one question in flight on each (\`OLLAMA_HOST\` or \`MMLU_OPENAI_BASE_URL\` listing them), gave ${x(gain)} the throughput of the first server alone (ideal ${n}×; latency ${x(inflation)})`
  if (verdict === 'full') return { text: `${first}: each server answered its share at the same time, the seed's remedy of separate servers working as it should.`, verdict }
  if (verdict === 'partial') return { text: `${first}: they overlapped in part, so they share some limit (the same GPU or CPU, memory bandwidth, or the network).`, verdict }
  return {
    text: `${first}: no gain, so they share what limits one server, most likely one machine's GPU or CPU; servers on separate machines (or GPUs) are what adds throughput.`,
    verdict,
  }
}

function advice(kind: EngineKind, a: StudyAnalysis, files: ReturnType<typeof filesParagraph>, sweep: ReturnType<typeof sweepParagraph>): string | undefined {
  const concurrencyPays = sweep && (sweep.verdict === 'full' || sweep.verdict === 'partial')
  const filesPay = files && (files.verdict === 'full' || files.verdict === 'partial')
  const serialized = (files && (files.queueing || files.verdict === 'none' || files.verdict === 'slower')) || (sweep && !concurrencyPays)
  // Both can pay: recommend whichever paid more.
  const filesBetter = filesPay && a.speedup !== undefined && (!concurrencyPays || a.speedup > sweep.best.gain)
  if (concurrencyPays && !filesBetter) {
    const tip = `Run with \`MMLU_CONCURRENCY=${sweep.best.concurrency}\` (\`npm run eval:concurrent\`) to get the ${x(sweep.best.gain)}.`
    return kind === 'embedded' && files && files.verdict !== 'full' ? `${tip} On the embedded engine prefer in-file concurrency to more workers: one model in memory, all cores on one batched decode; more workers only split the cores.` : tip
  }
  if (filesPay) {
    const compared = concurrencyPays ? ` most (${x(a.speedup!)}; in-file concurrency ${x(sweep.best.gain)})` : sweep ? ' and in-file concurrency did not' : ''
    return `Here files in parallel paid${compared}: run subjects side by side (\`npm run eval:files\`, \`VITEST_MAX_WORKERS=N\`)${kind === 'embedded' ? '; each worker loads its own copy of the model' : ''}.`
  }
  if (!serialized) return undefined
  switch (kind) {
    case 'ollama':
      return 'To get real parallelism, start Ollama with `OLLAMA_NUM_PARALLEL=4` (it serves one request per model at a time by default since 0.10) and keep as many questions in flight (`MMLU_CONCURRENCY=4`, `npm run eval:concurrent`), or use a batching server such as vLLM (`MMLU_BACKEND=openai`).'
    case 'openai':
      return 'To get real parallelism, give the server parallel slots (llama.cpp server: `--parallel N`; vLLM and SGLang batch by default) and keep questions in flight with `MMLU_CONCURRENCY=N` (`npm run eval:concurrent`).'
    case 'embedded':
      return sweep
        ? 'On this CPU neither parallel files nor batching adds compute: the cores are the limit. More free cores, a GPU (`MMLU_GPU=auto`), or a batching server on a bigger machine are what make it faster.'
        : 'On one CPU, parallel files only split the cores; try in-file concurrency (`MMLU_CONCURRENCY=N`), which batches the questions of a file into one decode.'
    default:
      return undefined
  }
}

/**
 * Other work on the machine: the load before the study started, or at its end
 * beyond what the study's own threads account for (about one per core).
 */
function sharedMachine(machine: MachineFacts): boolean {
  return Math.max(machine.loadBefore, machine.loadAfter - machine.physicalCores) > machine.physicalCores * 0.5
}

function noise(machine: MachineFacts, runs: number, repeats: number): string {
  const shared = sharedMachine(machine)
  return (
    `Measured on ${machine.cpus} CPUs (${machine.physicalCores} physical cores), load average ${machine.loadBefore.toFixed(1)} at the start and ${machine.loadAfter.toFixed(1)} at the end` +
    (shared ? ': the machine was shared with other work, so timings vary from run to run' : '') +
    `. ${runs} runs; profile figures are medians over ${repeats} run${repeats === 1 ? '' : 's'} each, work time excludes start-up and model loading.`
  )
}

export function explainStudy(a: StudyAnalysis, machine: MachineFacts, repeats: number): string[] {
  const kind = engineKind(a.engine?.engine)
  const files = filesParagraph(a, kind, machine)
  const sweep = sweepParagraph(a, kind)
  const servers = serversParagraph(a)
  const runs = new Set([...(a.sequential?.runs ?? []), ...(a.files?.runs ?? []), ...a.sweep.flatMap((p) => p.runs), ...(a.servers?.runs ?? [])]).size
  // Several servers that paid more than anything tried on one: that is the advice.
  const serversBest =
    servers && (servers.verdict === 'full' || servers.verdict === 'partial') && a.serversGain! > maxOf(a.sweep.map((p) => p.gain).filter(Number.isFinite), a.speedup ?? 0)
      ? `Here several servers paid most: keep listing them (\`OLLAMA_HOST=a,b\`), one question in flight on each, or \`MMLU_CONCURRENCY=auto\` to let each find its own level.`
      : undefined
  return [files?.text, sweep?.text, servers?.text, serversBest ?? advice(kind, a, files, sweep), noise(machine, runs, repeats)].filter((p): p is string => p !== undefined)
}
