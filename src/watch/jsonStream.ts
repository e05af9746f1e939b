/**
 * The Convex CLI's `run --watch` prints each new result of the query as a
 * JSON document (`JSON.stringify(value, null, 2)`, when its output is not a
 * terminal), one after another. This splits that stream back into values,
 * whatever the chunks it arrives in.
 */
export class JsonDocuments {
  private buffer = "";
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Where the document being read starts in `buffer`, or -1 between documents. */
  private start = -1;
  /** How far `buffer` has been scanned. */
  private scanned = 0;

  /** Adds a chunk; answers the documents it completed, parsed. */
  push(chunk: string): unknown[] {
    this.buffer += chunk;
    const done: unknown[] = [];
    for (; this.scanned < this.buffer.length; this.scanned++) {
      const c = this.buffer[this.scanned]!;
      if (this.start === -1) {
        // Between documents: anything but the start of one (a log line) is skipped.
        if (c === "{" || c === "[") {
          this.start = this.scanned;
          this.depth = 1;
        }
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === "\\") this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === "{" || c === "[") this.depth++;
      else if (c === "}" || c === "]") {
        this.depth--;
        if (this.depth === 0) {
          done.push(JSON.parse(this.buffer.slice(this.start, this.scanned + 1)));
          this.buffer = this.buffer.slice(this.scanned + 1);
          this.scanned = -1;
          this.start = -1;
        }
      }
    }
    return done;
  }
}
