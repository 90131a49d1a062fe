// Every answer the client gets, checked against the OpenAPI document the
// service is built from (docs/openapi.json), as the Rust suite's
// tests/e2e/src/contract.rs does: a status the operation documents, its
// media type, and a body its JSON Schema (2020-12) accepts.
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

type Json = Record<string, unknown>;

// ajv-formats is CommonJS: from ESM its function is the default export's `default`.
const addFormats = addFormatsModule.default;

export class Contract {
  readonly checked = new Map<string, number>();
  private readonly document: Json;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(path: string) {
    this.document = JSON.parse(readFileSync(path, "utf8")) as Json;
    addFormats(this.ajv);
    // OpenAPI's own formats: the integer ones are ranges, `password` a hint.
    this.ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
    this.ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat("password", () => true);
  }

  /** Throws when the answer to `method url` is not one the document describes. */
  check(method: string, url: string, status: number, contentType: string | null, body: string): void {
    const path = new URL(url).pathname;
    const media = contentType?.split(";")[0]?.trim() ?? null;
    const answer = `${method} ${path} answered ${status}`;
    const apiPath = path.startsWith("/api/v1") ? path.slice("/api/v1".length) : null;
    if (apiPath === null) throw new Error(`${answer}: outside the API`);
    const [template, item] = this.pathItem(apiPath) ?? [];
    if (!template || !item) throw new Error(`${answer}, but the document has no such path`);
    const operation = item[method === "HEAD" ? "get" : method.toLowerCase()] as Json | undefined;
    if (!operation) throw new Error(`${answer}: ${template} has no ${method} operation`);
    const responses = operation.responses as Record<string, Json>;
    const response = this.resolve(responses[String(status)]);
    if (!response) throw new Error(`${answer}: the document lists no ${status} for ${method} ${template}`);
    this.checked.set(`${method} ${template} ${status}`, (this.checked.get(`${method} ${template} ${status}`) ?? 0) + 1);
    if (method === "HEAD" || status === 204) {
      if (body !== "") throw new Error(`${answer} with a body`);
      return;
    }
    const content = response.content as Record<string, Json> | undefined;
    if (!content) {
      if (body !== "") throw new Error(`${answer}: the document gives it no body`);
      return;
    }
    if (!media) throw new Error(`${answer} without a content type`);
    const described = content[media];
    if (!described) throw new Error(`${answer} as ${media}; the document says ${Object.keys(content).join(", ")}`);
    const reference = (described.schema as Json | undefined)?.$ref;
    if (typeof reference === "string") this.validate(reference, body, answer);
  }

  private validate(reference: string, body: string, answer: string): void {
    let instance: unknown;
    try {
      instance = JSON.parse(body);
    } catch {
      throw new Error(`${answer}: the body is not JSON`);
    }
    let validator = this.validators.get(reference);
    if (!validator) {
      // The document's components beside a root that names one.
      validator = this.ajv.compile({ $ref: reference, components: this.document.components });
      this.validators.set(reference, validator);
    }
    if (!validator(instance)) {
      // Where and which rule, never the value (it may be a token).
      const errors = (validator.errors ?? []).map((e) => `${e.instancePath || "/"} breaks ${e.schemaPath}`);
      throw new Error(`${answer}: the body does not match ${reference}: ${errors.join("; ")}`);
    }
  }

  private pathItem(path: string): [string, Json] | undefined {
    const got = path.split("/");
    for (const [template, item] of Object.entries(this.document.paths as Record<string, Json>)) {
      const want = template.split("/");
      if (want.length === got.length && want.every((w, i) => (w.startsWith("{") ? got[i] !== "" : w === got[i]))) {
        return [template, item];
      }
    }
    return undefined;
  }

  private resolve(value: Json | undefined): Json | undefined {
    const reference = value?.$ref;
    if (typeof reference !== "string") return value;
    let node: unknown = this.document;
    for (const part of reference.slice(2).split("/")) node = (node as Json)[part];
    return node as Json;
  }
}
