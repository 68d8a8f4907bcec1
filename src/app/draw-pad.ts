// The draw-a-digit canvas: white ink on black like MNIST, drawn with any pointer (mouse, pen,
// touch). Reports the ink as grey levels 0..255 after each change, at most once per frame.

/** Roughly MNIST's stroke width relative to the digit's 20-pixel box on a 280-pixel canvas. */
const BRUSH = 22;

export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private frame = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onChange: (gray: Uint8Array | null) => void,
  ) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.stroke(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      // Coalesced events keep fast strokes smooth where the browser batches pointer moves.
      for (const ev of e.getCoalescedEvents?.() ?? [e]) {
        const p = this.point(ev);
        this.stroke(this.last, p);
        this.last = p;
      }
    });
    const end = () => (this.last = null);
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.onChange(null);
  }

  /** Grey level per canvas pixel (the red channel: the ink is white). */
  gray(): Uint8Array {
    const { data } = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
    const out = new Uint8Array(data.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = data[i * 4];
    return out;
  }

  /** Canvas pixel coordinates, whatever size CSS gives the canvas. */
  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  private stroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = BRUSH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.onChange(this.gray());
      });
    }
  }
}
