/**
 * Writing frames to a terminal: redrawn in place on a TTY (the cursor moves
 * up over the last frame, each line is rewritten and cleared to its end),
 * one frame after another with a blank line between otherwise.
 */
export type ScreenOptions = {
  tty: boolean;
  write: (text: string) => void;
};

export class Screen {
  private drawn = 0;
  private frames = 0;

  constructor(private readonly options: ScreenOptions) {}

  /** Draws a frame: its lines replace the last frame's on a TTY. */
  draw(lines: string[]): void {
    if (!this.options.tty) {
      this.options.write(`${this.frames > 0 ? "\n" : ""}${lines.join("\n")}\n`);
      this.frames++;
      return;
    }
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : "";
    for (const line of lines) out += `\x1b[2K${line}\n`;
    // A shorter frame than the last: clear what is left of it below.
    out += "\x1b[0J";
    this.drawn = lines.length;
    this.frames++;
    this.options.write(out);
  }

  /**
   * Writes text from elsewhere (the Convex CLI's own messages) below the
   * frame; the next frame is drawn below it rather than over it.
   */
  interrupt(text: string, to: { write: (text: string) => unknown }): void {
    to.write(text);
    this.drawn = 0;
  }
}
