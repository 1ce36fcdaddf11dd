// The CPU-bound handler of the workers case: the same function runs in process (imported) and in
// worker threads and processes (as the task's worker module). Plain JavaScript: workers load it
// as it is. `params.iterations` rounds of xorshift, about 200 ms at the calibrated count.
export default function burn(work) {
  let x = work.params.seed | 1;
  for (let i = 0; i < work.params.iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}
