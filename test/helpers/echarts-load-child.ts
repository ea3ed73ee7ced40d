// One load of echarts through the code cache, in a process of its own: V8 keeps
// what it compiled per isolate, so only a new process shows the file being used.
// Prints the cache's fate and the chart drawn, then saves the cache.
import { loadEcharts } from '../../reporters/render/echarts-load.js'

const loaded = loadEcharts(process.argv[2])
const chart = loaded.echarts.init(null, null, { renderer: 'svg', ssr: true, width: 400, height: 200 })
chart.setOption({ animation: false, xAxis: { type: 'category', data: ['a', 'b', 'c'] }, yAxis: { type: 'value' }, series: [{ type: 'bar', data: [3, 1, 2] }] })
const svg = chart.renderToSVGString()
chart.dispose()
loaded.save()
process.stdout.write(JSON.stringify({ cache: loaded.cache, svg }))
