/** What a look at an artifact finds, and what the state file records of it. @module */

/** What one look at an artifact found. */
export interface Probe {
  exists: boolean;
  /** Its exact time in ns (files, dir markers, the newest glob match, a numeric custom version), when looked at exactly. */
  time: bigint | undefined;
  /** Its time in ms as a double (sub-ms digits approximate: two times closer than 1 µs need the exact `time`). */
  ms: number | undefined;
  /** A stamp to record and compare ("changed" mode). */
  stamp: Stamp | undefined;
}

/** A recorded stamp: a file's size, mtime (ns) and inode (and content hash once known); a glob's digest; a custom version; a value's JSON. */
export interface Stamp {
  s?: string;
  m?: string;
  n?: string;
  h?: string;
  d?: string;
  x?: string | number;
  j?: string;
}
