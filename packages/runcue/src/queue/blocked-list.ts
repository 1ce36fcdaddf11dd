import type { WorkRecord } from "../work/record.js";

/**
 * Works whose readiness check said no, in the order they were found blocked (roughly oldest
 * first). Intrusive doubly-linked list through `prev`/`next`: O(1) append and removal, and a
 * sweep can stop anywhere and resume later.
 */
export class BlockedList {
  head: WorkRecord | undefined = undefined;
  tail: WorkRecord | undefined = undefined;
  size = 0;

  append(work: WorkRecord): void {
    work.prev = this.tail;
    work.next = undefined;
    if (this.tail) this.tail.next = work;
    else this.head = work;
    this.tail = work;
    this.size++;
  }

  remove(work: WorkRecord): void {
    if (work.prev) work.prev.next = work.next;
    else this.head = work.next;
    if (work.next) work.next.prev = work.prev;
    else this.tail = work.prev;
    work.prev = undefined;
    work.next = undefined;
    this.size--;
  }
}
