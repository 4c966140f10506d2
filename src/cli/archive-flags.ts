/**
 * The flags of the commands that read or write thick bundle archives (`archive`, `push` of an
 * archive file, `verify`), and the one mapping from them to the library's options.
 */
import * as Flags from '@oclif/core/flags'
import { DEFAULT_MAX_EXPANSION, type ThickArchiveOptions } from '../publish/thick-archive.js'
import { COMPRESSION_LEVELS, type CompressionLevel } from '../util/gzip.js'

/** `--max-expansion`: how far a gzip'd archive may expand before it is refused as a gzip bomb. */
export const maxExpansionFlag = {
  'max-expansion': Flags.integer({
    min: 1,
    default: DEFAULT_MAX_EXPANSION,
    summary: 'a .tgz archive may expand to this many times its size (plus 64 MiB) before it is refused as a gzip bomb',
    helpValue: 'factor',
  }),
}

/** `--compression`: the gzip level of an archive written, by Porter's names. */
export const compressionFlag = {
  compression: Flags.option({
    options: Object.keys(COMPRESSION_LEVELS) as CompressionLevel[],
    default: 'DefaultCompression' as CompressionLevel,
    summary: 'gzip compression of the archive (the names of porter archive --compression)',
  })(),
}

/** The library options `--max-expansion` stands for. */
export function archiveReadOptions(flags: { 'max-expansion'?: number }): ThickArchiveOptions {
  return flags['max-expansion'] !== undefined ? { maxExpansion: flags['max-expansion'] } : {}
}
