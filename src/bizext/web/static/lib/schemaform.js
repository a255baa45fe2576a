// A form generated from a transition's JSON Schema (GET /v1/projects/{id}/actions → input_schema): text,
// numbers, dates and instants, enums as selects, booleans, lists that grow, nested objects. A new workflow
// definition needs no change here. Errors come from the server as JSON Pointers and are shown beside the
// field they point at.
import { html } from './ui.js';
import { lang, t } from './i18n.js';

/** An empty value of the schema's shape: lists start with as many items as they must have. */
export function initialValue(schema) {
  if (!schema) return '';
  if (schema.default !== undefined) return structuredClone(schema.default);
  const type = typeOf(schema);
  if (type === 'object') {
    const out = {};
    for (const [k, s] of Object.entries(schema.properties || {})) out[k] = initialValue(s);
    return out;
  }
  if (type === 'array') return Array.from({ length: Math.max(1, schema.minItems || 0) }, () => initialValue(schema.items));
  if (type === 'boolean') return false;
  return '';
}

function typeOf(schema) {
  if (Array.isArray(schema.type)) return schema.type.find((x) => x !== 'null') || 'string';
  if (schema.type) return schema.type;
  if (schema.const !== undefined) return typeof schema.const;
  if (schema.enum) return typeof schema.enum[0];
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return 'string';
}

/** What to send: empty optional fields left out, numbers as numbers, instants with their offset. An empty
 * required field is sent as it is, so the server names the problem beside it. */
export function cleanValue(schema, value, required = true) {
  const type = typeOf(schema);
  if (type === 'object') {
    const out = {};
    const req = new Set(schema.required || []);
    for (const [k, s] of Object.entries(schema.properties || {})) {
      const v = cleanValue(s, value?.[k], req.has(k));
      if (v !== undefined) out[k] = v;
    }
    return Object.keys(out).length || required ? out : undefined;
  }
  if (type === 'array') {
    const items = (value || []).map((v) => cleanValue(schema.items || {}, v, false)).filter((v) => v !== undefined);
    return items.length || required ? items : undefined;
  }
  if (type === 'boolean') return schema.const !== undefined || required || value ? !!value : undefined;
  if (type === 'number' || type === 'integer') {
    if (value === '' || value == null) return undefined;
    const n = Number(value);
    return Number.isNaN(n) ? value : n;
  }
  if (value === '' || value == null) return required && !schema.enum ? '' : undefined;
  if (schema.format === 'date-time') return localToInstant(value);
  return value;
}

/** <input type=datetime-local> gives local wall time without an offset; the API wants RFC 3339. */
export function localToInstant(value) {
  if (!value || /[zZ]|[+-]\d\d:\d\d$/.test(value)) return value;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

/** A field's label: the schema's own `x-label` {zh, en}, else its title, else its name in words. */
export function fieldLabel(name, schema) {
  const x = schema && schema['x-label'];
  if (x && (x[lang()] || x.en)) return x[lang()] || x.en;
  if (schema && schema.title) return schema.title;
  return String(name).replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** An enum value's label: the schema's `x-enum-labels` {value: {zh, en}}, else the value in words. */
export function enumLabel(schema, value) {
  const x = schema['x-enum-labels'] && schema['x-enum-labels'][value];
  return (x && (x[lang()] || x.en)) || String(value).replace(/_/g, ' ');
}

/** Server errors (problem+json `errors`) by pointer. "'x' is a required property", reported at the object,
 * is moved onto the field it names; an empty value's complaint reads "required". */
export function placeErrors(list) {
  const out = {};
  for (const { pointer, message } of list || []) {
    if (pointer == null) continue;
    const m = /^'([^']+)' is a required property$/.exec(message);
    const at = m ? `${pointer}/${m[1]}` : pointer;
    const text = m || /^(''|\[\]) should be non-empty$/.test(message) ? t('required') : message;
    out[at] = out[at] && out[at] !== text ? `${out[at]}; ${text}` : text;
  }
  return out;
}

/** Every pointer this value's form shows a field for. */
export function shownPointers(schema, value, base) {
  const out = [base];
  const type = typeOf(schema);
  if (type === 'object') {
    for (const [k, s] of Object.entries(schema.properties || {})) out.push(...shownPointers(s, value?.[k], `${base}/${k}`));
  } else if (type === 'array') {
    (value || []).forEach((v, i) => out.push(...shownPointers(schema.items || {}, v, `${base}/${i}`)));
  }
  return out;
}

function ErrorText({ id, message }) {
  return message ? html`<p class="field-error" id=${id} role="alert">${message}</p>` : null;
}

/** One field (any type) with its label and error. */
export function Field({ name, schema, value, onChange, required, pointer, errors, ns = 'f', choices = {} }) {
  const type = typeOf(schema);
  const id = `${ns}${pointer.replace(/\W/g, '_')}`;
  const error = errors[pointer];
  const errorId = `${id}-error`;
  const labelText = fieldLabel(name, schema);
  const mark = required ? html` <span class="req" aria-hidden="true">*</span>` : null;
  const describe = [error ? errorId : null, schema.description ? `${id}-help` : null].filter(Boolean).join(' ') || undefined;
  const help = schema.description ? html`<p class="help" id=${`${id}-help`}>${schema.description}</p>` : null;

  if (type === 'object') {
    return html`<fieldset class=${error ? 'nested invalid' : 'nested'} data-pointer=${pointer}>
      <legend>${labelText}${mark}</legend>${help}
      <${ErrorText} id=${errorId} message=${error} />
      <${ObjectFields} schema=${schema} value=${value || {}} onChange=${onChange} pointer=${pointer} errors=${errors} ns=${ns} choices=${choices} />
    </fieldset>`;
  }
  if (type === 'array') {
    return html`<${ListField} name=${name} schema=${schema} value=${value || []} onChange=${onChange}
      required=${required} pointer=${pointer} errors=${errors} labelText=${labelText} ns=${ns} choices=${choices} />`;
  }
  const common = {
    id, name: pointer, 'data-pointer': pointer, 'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describe, 'aria-required': required ? 'true' : undefined,
  };
  let control;
  if (type === 'boolean') {
    control = html`<input type="checkbox" ...${common} checked=${!!value} onChange=${(e) => onChange(e.target.checked)} />`;
    return html`<div class=${error ? 'field check invalid' : 'field check'}>${control}
      <label for=${id}>${labelText}${mark}</label>${help}<${ErrorText} id=${errorId} message=${error} /></div>`;
  }
  if (Array.isArray(choices[pointer])) {
    // Offered by the page (e.g. the staff who may take the next stage): a select instead of a raw id.
    control = html`<select ...${common} value=${value ?? ''} onChange=${(e) => onChange(e.target.value)}>
      <option value="">${required ? t('choose') : t('engine_picks')}</option>
      ${choices[pointer].map((c) => html`<option value=${c.value}>${c.label}</option>`)}
    </select>`;
  } else if (schema.enum) {
    control = html`<select ...${common} value=${value ?? ''} onChange=${(e) => onChange(e.target.value)}>
      <option value="">${t('choose')}</option>
      ${schema.enum.map((v) => html`<option value=${v}>${enumLabel(schema, v)}</option>`)}
    </select>`;
  } else if (type === 'number' || type === 'integer') {
    control = html`<input type="number" inputmode="decimal" step=${type === 'integer' ? 1 : 'any'} ...${common}
      value=${value ?? ''} onInput=${(e) => onChange(e.target.value)} />`;
  } else if (schema.format === 'date') {
    control = html`<input type="date" ...${common} value=${value ?? ''} onInput=${(e) => onChange(e.target.value)} />`;
  } else if (schema.format === 'date-time') {
    control = html`<input type="datetime-local" step="60" ...${common} value=${value ?? ''} onInput=${(e) => onChange(e.target.value)} />`;
  } else if ((schema.maxLength || 0) > 500) {
    control = html`<textarea rows="3" ...${common} maxlength=${schema.maxLength} value=${value ?? ''}
      onInput=${(e) => onChange(e.target.value)}></textarea>`;
  } else {
    control = html`<input type="text" ...${common} maxlength=${schema.maxLength} value=${value ?? ''}
      onInput=${(e) => onChange(e.target.value)} />`;
  }
  return html`<div class=${error ? 'field invalid' : 'field'}>
    <label for=${id}>${labelText}${mark}</label>${control}${help}<${ErrorText} id=${errorId} message=${error} /></div>`;
}

export function ObjectFields({ schema, value, onChange, pointer, errors, ns = 'f', choices = {} }) {
  const req = new Set(schema.required || []);
  const entries = Object.entries(schema.properties || {});
  // Required fields first, in the definition's order; optional ones after.
  entries.sort(([a], [b]) => (req.has(b) ? 1 : 0) - (req.has(a) ? 1 : 0));
  return entries.map(([k, s]) => html`<${Field} key=${k} name=${k} schema=${s} value=${value[k]} required=${req.has(k)}
    pointer=${`${pointer}/${k}`} errors=${errors} ns=${ns} choices=${choices} onChange=${(v) => onChange({ ...value, [k]: v })} />`);
}

function ListField({ name, schema, value, onChange, required, pointer, errors, labelText, ns, choices }) {
  const error = errors[pointer];
  const errorId = `${ns}${pointer.replace(/\W/g, '_')}-error`;
  const items = schema.items || { type: 'string' };
  const set = (i, v) => onChange(value.map((x, j) => (j === i ? v : x)));
  const remove = (i) => onChange(value.filter((_, j) => j !== i));
  const add = () => onChange([...value, initialValue(items)]);
  return html`<fieldset class=${error ? 'list invalid' : 'list'} data-pointer=${pointer}
      aria-describedby=${error ? errorId : undefined}>
    <legend>${labelText}${required ? html` <span class="req" aria-hidden="true">*</span>` : null}</legend>
    <${ErrorText} id=${errorId} message=${error} />
    <ol>
      ${value.map((v, i) => html`<li key=${i}>
        <${Field} name=${`${labelText} ${i + 1}`} schema=${{ ...items, 'x-label': undefined, title: items.title ? `${fieldLabel('', items)} ${i + 1}` : `${labelText} · ${t('item_n', { n: i + 1 })}` }}
          value=${v} required=${false} pointer=${`${pointer}/${i}`} errors=${errors} ns=${ns} choices=${choices} onChange=${(x) => set(i, x)} />
        <button type="button" class="small secondary" onClick=${() => remove(i)}
          aria-label=${`${t('remove_item')} ${labelText} ${i + 1}`}>${t('remove_item')}</button>
      </li>`)}
    </ol>
    <button type="button" class="small secondary" onClick=${add} aria-label=${`${t('add_item')}: ${labelText}`}>+ ${t('add_item')}</button>
  </fieldset>`;
}
