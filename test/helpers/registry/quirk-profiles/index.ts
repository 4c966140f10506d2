/** Every quirk profile by name (see ../quirk-proxy.ts). */
import type { QuirkProfile, QuirkProfileName } from './common.js'
import { dockerhub2019 } from './dockerhub-2019.js'
import { ecr, ecr2019 } from './ecr.js'
import { gcr } from './gcr.js'
import { ghcr } from './ghcr.js'
import { githubPackages2020 } from './github-packages-2020.js'
import { nexus2020 } from './nexus-2020.js'
import { quay } from './quay.js'
import { gitlab } from './gitlab.js'
import { referrersApi } from './referrers-api.js'
import { tagRequired } from './tag-required.js'
import { harbor110 } from './harbor-1-10.js'
import { artifactory2025 } from './artifactory-2025.js'
import { acr } from './acr.js'

export type { QuirkProfile, QuirkProfileName, UntaggedRefusal } from './common.js'

export const QUIRK_PROFILES: Readonly<Record<QuirkProfileName, QuirkProfile>> = {
  'dockerhub-2019': dockerhub2019,
  ecr,
  'ecr-2019': ecr2019,
  gcr,
  quay,
  'nexus-2020': nexus2020,
  ghcr,
  'github-packages-2020': githubPackages2020,
  'referrers-api': referrersApi,
  gitlab,
  'tag-required': tagRequired,
  'harbor-1.10': harbor110,
  'artifactory-2025': artifactory2025,
  acr,
}
