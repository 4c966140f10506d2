/**
 * Parsing of `WWW-Authenticate` headers into challenges. One header may carry several challenges
 * (`Basic realm="a", Bearer realm="b",service="c"`), and parameter values may be quoted strings
 * holding commas and backslash escapes (`scope="repository:x:pull,push"`).
 * References:
 *  - https://www.rfc-editor.org/rfc/rfc7235#section-4.1 (challenge grammar)
 *  - https://www.rfc-editor.org/rfc/rfc9110#section-5.6.4 (quoted-string, quoted-pair)
 *  - https://github.com/distribution/distribution/blob/main/docs/content/spec/auth/token.md
 */

export interface AuthChallenge {
  /** The auth scheme, lower-cased (schemes are case-insensitive): `basic`, `bearer`, … */
  scheme: string
  /** Auth parameters with lower-cased names (names are case-insensitive); the first of duplicates wins. */
  params: Record<string, string>
  /** The token68 form some schemes use instead of parameters (`Negotiate abc==`). */
  token68?: string
}

/** RFC 9110 `tchar`: the characters of a token. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/
/** RFC 7235 `token68` followed by the end of the challenge (end of header or a comma). */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(?:,|$))/

/**
 * Parses a `WWW-Authenticate` value into its challenges, in header order. Parsing is lenient the
 * way browsers and Docker's client are: an unquoted value runs to the next comma or space (some
 * servers send `realm=https://…` unquoted), an unterminated quoted string runs to the end, and a
 * piece that is not a challenge is skipped up to the next comma. Never throws.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const p = new Parser(header)
  const challenges: AuthChallenge[] = []
  for (;;) {
    p.skip(/[ \t,]/)
    if (p.done) return challenges
    const scheme = p.token()
    if (scheme === '') {
      p.skipPast(',') // not a challenge; resynchronise on the next list element
      continue
    }
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} }
    challenges.push(challenge)
    p.skip(/[ \t]/)
    const token68 = p.match(TOKEN68)
    if (token68 !== undefined) {
      challenge.token68 = token68
      continue
    }
    // auth-params until something that is not `name = value`: that is the next challenge.
    for (;;) {
      const start = p.pos
      const name = p.token()
      p.skip(/[ \t]/)
      if (name === '' || !p.eat('=')) {
        p.pos = start
        break
      }
      p.skip(/[ \t]/)
      const value = p.peek() === '"' ? p.quoted() : p.unquoted()
      const key = name.toLowerCase()
      if (!(key in challenge.params)) challenge.params[key] = value
      p.skip(/[ \t]/)
      if (!p.eat(',')) break
      p.skip(/[ \t,]/)
    }
  }
}

/** A cursor over the header text. */
class Parser {
  pos = 0
  constructor(private readonly s: string) {}

  get done(): boolean {
    return this.pos >= this.s.length
  }

  peek(): string | undefined {
    return this.s[this.pos]
  }

  eat(ch: string): boolean {
    if (this.s[this.pos] !== ch) return false
    this.pos++
    return true
  }

  skip(chars: RegExp): void {
    while (this.pos < this.s.length && chars.test(this.s[this.pos]!)) this.pos++
  }

  skipPast(ch: string): void {
    const i = this.s.indexOf(ch, this.pos)
    this.pos = i === -1 ? this.s.length : i + 1
  }

  token(): string {
    const start = this.pos
    this.skip(TCHAR)
    return this.s.slice(start, this.pos)
  }

  match(re: RegExp): string | undefined {
    const m = re.exec(this.s.slice(this.pos))
    if (!m) return undefined
    this.pos += m[0].length
    return m[0]
  }

  /** A quoted-string starting at the opening quote; `\x` stands for `x`. */
  quoted(): string {
    this.pos++ // opening quote
    let out = ''
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos++]!
      if (ch === '"') return out
      if (ch === '\\' && this.pos < this.s.length) out += this.s[this.pos++]!
      else out += ch
    }
    return out
  }

  unquoted(): string {
    const start = this.pos
    while (this.pos < this.s.length && !/[ \t,]/.test(this.s[this.pos]!)) this.pos++
    return this.s.slice(start, this.pos)
  }
}
