import type { ViewerInfo } from '../server/info.js';
import type { ModelChange, SessionModel } from './model.js';
import type { Tab } from './shared.js';

export type { ViewerInfo };

/**
 * What a tab needs from the page that holds it. The tabs depend on this small interface, not on the session
 * page itself, so the page can build its tabs without an import cycle.
 */
export interface SessionHost {
  readonly model: SessionModel;
  readonly info: ViewerInfo;
  readonly selected: string | undefined;
  /** Selects a span from inside a tab: the URL follows (without a new history entry). */
  select(id: string | undefined, from?: TabView): void;
  /** Opens a span in a tab (a new history entry). */
  open(tab: Tab, id: string | undefined): void;
}

/** What every tab implements. */
export interface TabView {
  readonly el: HTMLElement;
  /** Called when the tab becomes visible, with the span the URL selects (if any). */
  show(span: string | undefined, jump: boolean): void;
  hide(): void;
  update(change: ModelChange): void;
  /** The selection changed elsewhere (another tab, the URL). */
  selectionChanged?(id: string | undefined): void;
  /** Every second while the session runs (open spans grow). */
  tick?(): void;
  onKey?(e: KeyboardEvent): boolean;
  destroy?(): void;
}
