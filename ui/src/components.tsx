// Small pieces every page uses: the page frame, notices, badges, labelled fields and the live "updated" line.
import type { ComponentChildren } from 'preact';
import { ApiError } from './api.ts';
import { formatTime } from './format.ts';

/** A page: its heading (the skip link's target), a line on what it shows, actions on the right, then the content. */
export function Page(props: { title: string; lead?: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-header">
        <div>
          <h1 id="page-title" tabIndex={-1}>
            {props.title}
          </h1>
          {props.lead === undefined ? null : <p class="lead">{props.lead}</p>}
        </div>
        {props.actions === undefined ? null : <div class="page-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A card with a heading. */
export function Panel(props: { title: string; children: ComponentChildren; actions?: ComponentChildren; id?: string }) {
  return (
    <section class="panel" aria-labelledby={props.id === undefined ? undefined : `${props.id}-title`}>
      <header class="panel-header">
        <h2 id={props.id === undefined ? undefined : `${props.id}-title`}>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

/** What went wrong, in words: a missing API (404) says which part of the gateway is not there. */
export function ErrorNotice(props: { error: Error | null; what?: string }) {
  const { error } = props;
  if (error === null) return null;
  const missing = error instanceof ApiError && (error.status === 404 || error.status === 405) && error.code === 'unknown_url';
  return (
    <p class={missing ? 'notice notice-info' : 'notice notice-error'} role={missing ? 'status' : 'alert'}>
      {missing ? `This gateway does not offer ${props.what ?? 'this'} yet (${error.message}).` : error.message}
    </p>
  );
}

/** "Updated 20:31:05", announced politely to screen readers when it changes. */
export function Updated(props: { at: Date | null; loading: boolean }) {
  return (
    <p class="updated" aria-live="polite">
      {props.at === null ? (props.loading ? 'Loading…' : '') : `Updated ${formatTime(props.at.toISOString())}`}
    </p>
  );
}

/** A route's circuit state as a coloured badge with its word (never colour alone). */
export function StateBadge(props: { state: string }) {
  const label = props.state === 'half_open' ? 'half-open' : props.state;
  return <span class={`badge badge-${props.state}`}>{label}</span>;
}

/** An HTTP status as a badge: green 2xx, amber 4xx, red 5xx. */
export function StatusBadge(props: { status: number }) {
  const kind = props.status >= 500 ? 'bad' : props.status >= 400 ? 'warn' : 'good';
  return <span class={`badge badge-${kind}`}>{props.status}</span>;
}

/** A label above its control; `hint` below it. */
export function Field(props: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control comes in as the children, inside the label.
    <label class="field">
      <span class="field-label">{props.label}</span>
      {props.children}
      {props.hint === undefined ? null : <span class="field-hint">{props.hint}</span>}
    </label>
  );
}

/** A table that scrolls sideways on a phone instead of breaking the layout. */
export function Table(props: { caption: string; children: ComponentChildren; empty?: boolean; emptyText?: string }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        {props.children}
      </table>
      {props.empty === true ? <p class="empty">{props.emptyText ?? 'Nothing yet.'}</p> : null}
    </div>
  );
}

/** A time cell: short local form (the time of day alone with `timeOnly`), ISO in the tooltip. */
export function Time(props: { iso: string | null | undefined; timeOnly?: boolean }) {
  const shown = formatTime(props.iso);
  return (
    <time dateTime={props.iso ?? undefined} title={props.iso ?? undefined}>
      {props.timeOnly === true ? shown.slice(shown.indexOf(',') + 1).trim() : shown}
    </time>
  );
}

/** A number as a tile with its label. */
export function Metric(props: { label: string; value: string; detail?: string }) {
  return (
    <div class="metric">
      <span class="metric-label">{props.label}</span>
      <span class="metric-value">{props.value}</span>
      {props.detail === undefined ? null : <span class="metric-detail">{props.detail}</span>}
    </div>
  );
}

/** Newest-first paging over a cursor list: back to the newest page, and on to older ones while there are more. */
export function Pager(props: {
  cursor: string | null;
  page: { has_more?: boolean; last_id?: string | null } | null;
  onCursor: (cursor: string | null) => void;
}) {
  const { cursor, page, onCursor } = props;
  const older = page?.has_more === true ? (page.last_id ?? null) : null;
  return (
    <div class="pager">
      {cursor === null ? null : (
        <button type="button" class="button button-quiet" onClick={() => onCursor(null)}>
          Newest
        </button>
      )}
      {older === null ? null : (
        <button type="button" class="button" onClick={() => onCursor(older)}>
          Older
        </button>
      )}
    </div>
  );
}
