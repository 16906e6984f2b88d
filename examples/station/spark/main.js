// A SPARK-shaped module: rounds of work, each ending in Zinnia.jobCompleted().
import { pickRetrieval } from "./round.js";

Zinnia.activity.info("Connecting to the network.");
console.log(`spark: wallet ${Zinnia.walletAddress}, zinnia ${Zinnia.versions.zinnia}`);

let round = 0;
async function work() {
  round++;
  const task = pickRetrieval(round);
  console.log(`Checking the current SPARK round... (round ${round}, cid ${task.cid})`);
  await new Promise((resolve) => setTimeout(resolve, 200 + (round % 5) * 100));
  if (round % 7 === 0) {
    console.warn(`round ${round}: retrieval of ${task.cid} timed out`);
  } else {
    Zinnia.jobCompleted();
  }
}

setInterval(() => work().catch((err) => console.error("round failed:", err)), 2000);
