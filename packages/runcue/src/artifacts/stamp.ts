/** What a look at an artifact finds, and what the state file records of it. @module */

/** What one look at an artifact found. */
export interface Probe {
  exists: boolean;
  /** Its time in ns (files, dir markers, the newest glob match, a numeric custom version); undefined when it has none. */
  time: bigint | undefined;
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
