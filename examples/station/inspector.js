// Reads the monitor tree through zinnia:fs: the app manifest once, then follows spark's log
// like `tail -f` and counts warnings.
import { readTextFile, follow } from "zinnia:fs";

const manifest = JSON.parse(await readTextFile("/config/station/manifest.json"));
console.log(`inspector: watching ${Object.keys(manifest.component).join(", ")}`);

let warnings = 0;
for await (const text of follow("/monitor/logs/spark/stderr.txt", { from: "end" })) {
  warnings += text.split("\n").filter((l) => l.length > 0).length;
  Zinnia.activity.info(`inspector: spark has warned ${warnings} time(s)`);
}
