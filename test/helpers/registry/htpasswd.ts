/** Credentials files for distribution's `auth.htpasswd` (bcrypt is the only scheme it accepts). */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { runTool } from './bins.js'

/** A random password safe to put in a URL, a header or a command line (hex). */
export function randomPassword(): string {
  return randomBytes(16).toString('hex')
}

/**
 * Writes an htpasswd file with one bcrypt entry (`htpasswd -B`, apache2-utils). Cost 5 (htpasswd's
 * default, near bcrypt's minimum of 4) keeps it cheap: the registry checks it on every request.
 */
export async function writeHtpasswd(file: string, username: string, password: string): Promise<void> {
  // -i reads the password from stdin: no password in the process list.
  const { stdout } = await runTool('htpasswd', ['-niB', '-C', '5', username], { input: `${password}\n` })
  await writeFile(file, stdout.trim() + '\n', { mode: 0o600 })
}
