import type { WorkRecord } from "../work/record.js";

/**
 * Works whose readiness check said no, in the order they were found blocked (roughly oldest
 * first). Intrusive doubly-linked list through `blockedPrev`/`blockedNext`: O(1) append and removal, and a
 * sweep can stop anywhere and resume later.
 */
export class BlockedList {
  head: WorkRecord | undefined = undefined;
  tail: WorkRecord | undefined = undefined;
  size = 0;

  append(work: WorkRecord): void {
    work.blockedPrev = this.tail;
    work.blockedNext = undefined;
    if (this.tail) this.tail.blockedNext = work;
    else this.head = work;
    this.tail = work;
    this.size++;
  }

  remove(work: WorkRecord): void {
    if (work.blockedPrev) work.blockedPrev.blockedNext = work.blockedNext;
    else this.head = work.blockedNext;
    if (work.blockedNext) work.blockedNext.blockedPrev = work.blockedPrev;
    else this.tail = work.blockedPrev;
    work.blockedPrev = undefined;
    work.blockedNext = undefined;
    this.size--;
  }
}
