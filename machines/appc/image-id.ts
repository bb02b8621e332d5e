// Image IDs: `sha512-` plus the hex digest of the uncompressed image tar. Pure.
import { z } from "zod";
import { fail } from "../errors.js";
import { goQuote } from "./go-text.js";

const FULL_IMAGE_ID = /^sha512-[0-9a-f]{128}$/;
/** `sha512-` plus 32 hex digits (128 bits), as Go's `types.ShortHash` keeps. */
const SHORT_ID_LENGTH = 39;

/**
 * Pure. Why `s` is not an image ID in the Go schema's sense (`types.Hash`: split on `-` into exactly
 * two parts, type `sha512`, non-empty value; the value is not checked for hex), or undefined.
 */
export function imageIdError(s: string): string | undefined {
  const parts = s.split("-");
  if (parts.length !== 2) return "badly formatted hash string";
  const [type = "", value = ""] = parts;
  if (type === "") return "unexpected empty hash type";
  if (type !== "sha512") return `unrecognized hash type: ${type}`;
  if (value === "") return "unexpected empty hash value";
  return undefined;
}

/** Pure. Returns `s` when it is an image ID as the Go schema accepts it; throws invalid JP_ERR_IMAGE_ID otherwise. */
export function parseImageId(s: string): string {
  const error = imageIdError(s);
  if (error !== undefined) {
    throw fail("invalid", "JP_ERR_IMAGE_ID", `invalid image ID ${goQuote(s)}: ${error}`, {
      hint: "An image ID is sha512- followed by the 128 hex digits of the image's SHA-512.",
    });
  }
  return s;
}

/** Pure. True when `s` is a complete image ID: `sha512-` and 128 lower-case hex digits. */
export function isFullImageId(s: string): boolean {
  return FULL_IMAGE_ID.test(s);
}

/** Pure. The short form shown to users: the first 39 characters (`sha512-` plus 32 hex digits). */
export function shortImageId(id: string): string {
  return id.length > SHORT_ID_LENGTH ? id.slice(0, SHORT_ID_LENGTH) : id;
}

/** Pure. An image ID field; JSON null reads as the empty string, which Go rejects. */
export const ImageIdSchema = z
  .string({ error: (issue) => (issue.input === null ? "badly formatted hash string" : "image ID must be a string") })
  .superRefine((s, ctx) => {
    const error = imageIdError(s);
    if (error !== undefined) ctx.addIssue({ code: "custom", message: error, continue: false });
  });
