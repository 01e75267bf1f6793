// Preloaded into a measured process: reports its peak resident memory on exit (fd 3).
import { writeSync } from 'node:fs';
process.on('exit', () => {
  try {
    writeSync(3, `${process.resourceUsage().maxRSS}\n`);
  } catch {
    // not measured
  }
});
