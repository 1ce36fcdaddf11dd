// Side effects need proof: charging a card and sending an email each write a proof file, and
// staleness is "no proof yet". Resubmitting every order after a restart charges and mails nobody twice.
// Run: npx tsx examples/side-effects.ts
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cue, type Work } from "runcue";

type Order = { orderId: string; amount: number; email: string };

export async function processOrders(dir: string, orders: Order[], world: { charges: string[]; emails: string[] }): Promise<void> {
  const cue = new Cue();
  cue.service("payments", { rate: "100/min" });
  cue.service("mail", { rate: "50/min" });
  const proof = (o: Order, what: string): string => join(dir, o.orderId, `${what}.json`);

  const charge = cue.task("charge", { uses: "payments" }, (w: Work<Order>) => {
    world.charges.push(w.params.orderId); // the real side effect (a payment API call)
    mkdirSync(join(dir, w.params.orderId), { recursive: true });
    writeFileSync(proof(w.params, "payment"), JSON.stringify({ chargedAt: Date.now(), amount: w.params.amount }));
  });
  const confirm = cue.task("confirm", { uses: "mail" }, (w: Work<Order>) => {
    world.emails.push(w.params.email);
    writeFileSync(proof(w.params, "email"), JSON.stringify({ sentAt: Date.now() }));
  });
  const typed = cue.typed(charge, confirm); // the same cue; its checks now know both tasks' params
  typed.isReady((w) => w.task !== "confirm" || existsSync(proof(w.params, "payment")));
  typed.isStale((w) => !existsSync(proof(w.params, w.task === "charge" ? "payment" : "email")));

  cue.start();
  for (const o of orders) {
    await confirm.submit(o);
    await charge.submit(o);
  }
  await cue.idle();
  await cue.stop();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), "runcue-orders-"));
  const world = { charges: [] as string[], emails: [] as string[] };
  const orders = [1, 2, 3].map((i) => ({ orderId: `o${i}`, amount: 10 * i, email: `c${i}@example.com` }));
  await processOrders(dir, orders, world);
  await processOrders(dir, orders, world); // a restart: same submissions
  console.log(world); // each order charged and mailed exactly once
}
