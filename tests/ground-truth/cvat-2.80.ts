// What CVAT 2.80 answers differently from the 2.73 fixtures, as the cvat-sdk 2.80.0 generated
// models (cvat_sdk/api_client/model/*.py, CVAT's own statement of its 2.80 schema) show against
// the 2.73 schema. Applied to a 2.73 fixture object, it gives the shape a 2.80 server answers.
import type { Json, JsonObject } from './fixtures.js';

export type Kind =
  'task' | 'job' | 'user' | 'project' | 'label' | 'organization' | 'membership' | 'token';

/** Keys 2.80 dropped, and keys it added with a sample value of the right JSON type. */
export const CHANGES_2_80: Record<Kind, { removed: string[]; added: Record<string, Json> }> = {
  // task_read.py: `consensus_enabled` is gone, `initial_replicas` (int) is new.
  task: { removed: ['consensus_enabled'], added: { initial_replicas: 0 } },
  // job_read.py: `consensus_replicas` is gone (`replicas_count` stays); job_type.py: the replica
  // job type is `replica`, was `consensus_replica`.
  job: { removed: ['consensus_replicas'], added: {} },
  // user.py: onboarding fields; email_verified is bool or null, created_via an enum string.
  user: {
    removed: [],
    added: {
      cvat_usage_reason: '',
      primary_role: '',
      planned_activities: [],
      data_types: [],
      discovery_source: '',
      email_verified: null, // bool or null
      created_via: null, // enum string or null
    },
  },
  project: { removed: [], added: {} },
  label: { removed: [], added: {} },
  organization: { removed: [], added: {} },
  membership: { removed: [], added: {} },
  token: { removed: [], added: {} },
};

export function as280(kind: Kind, fixture: JsonObject): JsonObject {
  const out: JsonObject = { ...fixture };
  const change = CHANGES_2_80[kind];
  for (const k of change.removed) delete out[k];
  return { ...out, ...change.added };
}
