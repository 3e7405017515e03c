// A source's lock on either backend: one holder at a time, its holder shown; on PostgreSQL a
// holder whose connection ended (a worker killed on any machine) frees the source at once.
import { describe, expect, it } from 'vitest';
import { stateBackends } from '../../support/state-backends.ts';
import { tempDir } from '../../support/run.ts';

const { backends } = stateBackends();

describe.each(backends)('the source lock on $name', (backend) => {
  it('is held by one run at a time, names its holder, and is free again once released', () => {
    const location = backend.newLocation();
    const out = tempDir();
    const first = backend.open(location);
    const second = backend.open(location);
    const taken = first.lockSource('kar', out);
    expect(taken.acquired).toBe(true);
    const refused = second.lockSource('kar', out);
    expect(refused).toMatchObject({ acquired: false, holder: { pid: process.pid } });
    expect(second.lockHolder('kar', out)?.pid).toBe(process.pid);
    // Another source is not held by it.
    const other = second.lockSource('dspace', out);
    expect(other.acquired).toBe(true);
    if (taken.acquired) taken.release();
    expect(second.lockHolder('kar', out)).toBeUndefined();
    const again = second.lockSource('kar', out);
    expect(again.acquired).toBe(true);
    if (again.acquired) again.release();
    if (other.acquired) other.release();
  });
});

describe('the source lock on PostgreSQL', () => {
  const postgres = backends.find((b) => b.name === 'postgres')!;

  it('is free as soon as its holder\'s connection ends without releasing it, and the next holder is told whom it took over from', () => {
    const location = postgres.newLocation();
    const dying = postgres.open(location);
    const taken = dying.lockSource('kar', '');
    expect(taken.acquired).toBe(true);
    const survivor = postgres.open(location);
    expect(survivor.lockSource('kar', '').acquired).toBe(false);
    // The connection ends as a killed process's would: no release, no row removed.
    dying.close();
    const after = survivor.lockSource('kar', '');
    expect(after).toMatchObject({ acquired: true, tookOverFrom: { pid: process.pid } });
    // The holder shown now is the survivor's lock, not the dead one's row.
    const holder = survivor.lockHolder('kar', '');
    expect(holder?.token).toBeDefined();
    expect(holder?.token).not.toBe(after.acquired ? after.tookOverFrom?.token : undefined);
  });
});
