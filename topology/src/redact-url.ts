/** A URL with its password replaced by ***, for logs and errors. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    return url.href;
  } catch {
    return '<unparseable url>';
  }
}
