// The IPC payload types in api.ts cannot drift from the Rust types: every
// sample in generated/payload-samples.ts was serialized by the Rust side (see
// src-tauri/src/payload_samples.rs) and is annotated with its api.ts type, so
// a missing, extra or differently typed field fails this type check.

import { describe, expectTypeOf, it } from 'vitest';
import type { ApiKey, CreatedKey, Workspace } from './api';
import * as samples from './generated/payload-samples';

describe('api.ts payload types match the Rust serialization', () => {
  it('accepts every Rust sample', () => {
    expectTypeOf(samples.apiKey).toEqualTypeOf<ApiKey>();
    expectTypeOf(samples.createdKey).toEqualTypeOf<CreatedKey>();
    expectTypeOf(samples.workspace).toEqualTypeOf<Workspace>();
  });
});
