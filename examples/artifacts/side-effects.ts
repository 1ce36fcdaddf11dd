// Side effects need proof, declared (issue 10): charging a card and sending an email each write a
// proof file, declared as the task's output. Charge's proof is confirm's input, so a confirmation
// waits for its charge even when submitted first, and a rerun skips whatever has its proof:
// resubmitting every order after a restart charges and mails nobody twice. A handler that
// returns without writing its proof fails with MissingOutputError instead of passing for done.
// Run: npx tsx examples/artifacts/side-effects.ts [dir]
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Cue, file, sleep, type Work } from "runcue";

export type Order = { orderId: string; amount: number; email: string };
export type World = { charges: string[]; emails: string[]; failures: string[] };

/**
 * Charges and confirms every order. `forgetProof` names orders whose charge handler "forgets" to
 * write its proof (a bug): runcue fails that work instead of trusting it.
 */
export async function processOrders(dir: string, orders: Order[], world: World, forgetProof: string[] = []): Promise<void> {
  const cue = new Cue();
  cue.service("payments", { rate: "100/min" });
  cue.service("mail", { rate: "50/min" });
  const paymentProof = file(join(dir, "{orderId}", "payment.json"));

  const charge = cue.task("charge", { uses: "payments", outputs: { proof: paymentProof } }, (work: Work<Order>) => {
    world.charges.push(work.params.orderId); // the real side effect (a payment API call)
    if (forgetProof.includes(work.params.orderId)) return;
    const proof = work.paths.proof as string;
    mkdirSync(dirname(proof), { recursive: true });
    writeFileSync(proof, JSON.stringify({ chargedAt: Date.now(), amount: work.params.amount }));
  });
  const confirm = cue.task("confirm", {
    uses: "mail",
    inputs: { payment: paymentProof },
    outputs: { proof: file(join(dir, "{orderId}", "email.json")) },
  }, (work: Work<Order>) => {
    world.emails.push(work.params.email);
    writeFileSync(work.paths.proof as string, JSON.stringify({ sentAt: Date.now() }));
  });
  cue.onFailure((work, error) => world.failures.push(`${work.task} ${(work.params as Order).orderId}: ${error.name} ${(error as { code?: string }).code}`));

  cue.start();
  for (const o of orders) {
    await confirm.submit(o); // before its charge: it waits for the charge's proof
    await charge.submit(o);
  }
  // Wait until nothing runs and only blocked work (a confirmation whose charge failed) is left.
  for (;;) {
    await sleep(cue.clock, 20);
    const s = cue.status();
    if (s.running === 0 && s.pending === s.blocked) break;
  }
  await cue.stop();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), "runcue-artifacts-orders-"));
  const world: World = { charges: [], emails: [], failures: [] };
  const orders = [1, 2, 3].map((i) => ({ orderId: `o${i}`, amount: 10 * i, email: `c${i}@example.com` }));
  await processOrders(dir, orders, world);
  await processOrders(dir, orders, world); // a restart: same submissions
  // Each order charged and mailed exactly once:
  console.log(`charged: ${world.charges.sort().join(" ")}; mailed: ${world.emails.sort().join(" ")}; failures: ${world.failures.length}`);
}
