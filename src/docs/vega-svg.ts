// Charts for generated docs: a Vega-Lite spec rendered to SVG in Node, no browser or canvas.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  return new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' }).toSVG();
}
