/**
 * A child process that writes to a layout, for tests that need a second process: one that is
 * killed mid-write, or several that write at once. Run as
 *   node --import tsx test/helpers/layout-worker.ts <command> <layout-dir> [args...]
 * Commands:
 *   slow-blob <size>         push a <size>-byte pattern blob slowly; prints "progress" once
 *                            3 MiB have been handed to the store, so that at least one of its
 *                            1 MiB batched writes has reached the file (then the parent kills it)
 *   tag-loop <tags>          create <tags> images and retag them forever, rewriting
 *                            index.json; prints "looping" after the first round
 *   push-images <id> <n>     push <n> distinct images tagged "<id>-<i>"; prints "done"
 */
import { OciLayoutStore } from '../../src/layout/layout-store.js'
import { image, pattern, patternDescriptor } from './content.js'

const [command, dir, ...args] = process.argv.slice(2)
if (dir === undefined) throw new Error('usage: layout-worker.ts <command> <layout-dir> [args...]')
const store = await OciLayoutStore.open(dir, { create: true })

async function pushImage(label: string): Promise<ReturnType<typeof image>> {
  const img = image(label)
  for (const c of [img.config, img.layer, img.manifest]) await store.push(c.desc, c.bytes)
  return img
}

switch (command) {
  case 'slow-blob': {
    const size = Number(args[0])
    const desc = await patternDescriptor(size, { seed: 42 })
    let told = false
    const body = pattern(size, {
      seed: 42,
      delayMs: 5,
      onProgress: (n) => {
        if (!told && n >= 3 * 1024 * 1024) {
          told = true
          process.stdout.write('progress\n')
        }
      },
    })
    await store.push(desc, body)
    process.stdout.write('finished\n')
    break
  }
  case 'tag-loop': {
    const count = Number(args[0])
    const images = []
    for (let i = 0; i < count; i++) images.push(await pushImage(`loop-${i}`))
    for (let round = 0; ; round++) {
      // Each round points every tag at a different image, so every tag call rewrites index.json.
      for (let i = 0; i < count; i++) await store.tag(images[(i + round) % count]!.manifest.desc, `tag-${i}`)
      if (round === 0) process.stdout.write('looping\n')
    }
  }
  case 'push-images': {
    const [id, n] = args
    for (let i = 0; i < Number(n); i++) {
      const img = await pushImage(`${id}-${i}`)
      await store.tag(img.manifest.desc, `${id}-${i}`)
    }
    process.stdout.write('done\n')
    break
  }
  default:
    throw new Error(`unknown command ${String(command)}`)
}
