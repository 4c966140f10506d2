/** Rule about the bundle `name` (checklist rule 3). */
import { pointerOf, type Issue } from '../issue.js'
import { field } from '../json-shape.js'

/** Unicode graphic characters: letters, marks, numbers, punctuation, symbols and the space separators (no tabs, newlines or other controls). */
const GRAPHIC = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u

/** Rule 3: the spec allows only graphic characters in `name`; it is shown to people and used in annotations. */
export function nameGraphicChars(bundle: unknown): Issue[] {
  const name = field(bundle, 'name')
  if (typeof name !== 'string') return []
  const pointer = pointerOf('name')
  if (name === '') return [{ pointer, rule: 'name-graphic-chars', severity: 'error', message: 'name is empty' }]
  // Iterating the string yields whole code points, so astral letters and emoji are tested as one character.
  const bad = [...name].find((ch) => !GRAPHIC.test(ch))
  if (bad === undefined) return []
  const code = `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
  return [
    {
      pointer,
      rule: 'name-graphic-chars',
      severity: 'error',
      message: `name contains ${code}, which is not a graphic character; only letters, marks, numbers, punctuation, symbols and spaces are allowed`,
    },
  ]
}
