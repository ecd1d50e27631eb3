// A Node app that follows the seed's advice for long answers: a per-client timeout, a per-request
// override, and streaming. Like any app it reads ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY, which
// is all it takes to point it at `claude-fakes serve`.
//
// Usage: node summarize.mjs create|patient|stream
// Prints one JSON line: what the caller saw (the reply, or the error and any partial text).
import Anthropic from "@anthropic-ai/sdk";

const env = process.env;
const client = new Anthropic({
  timeout: Number(env.CLAUDE_TIMEOUT_MS ?? 300 * 1000), // per client, in milliseconds
  maxRetries: Number(env.CLAUDE_MAX_RETRIES ?? 2),
});
const request = {
  model: "claude-opus-4-7",
  max_tokens: 4096,
  messages: [{ role: "user", content: "Write a detailed analysis..." }],
};

async function summarize(mode, partial) {
  if (mode === "create") {
    return client.messages.create(request);
  }
  if (mode === "patient") {
    // Per request: this one call may take longer than the client's default.
    return client.messages.create(request, { timeout: Number(env.CLAUDE_LONG_TIMEOUT_MS ?? 300 * 1000) });
  }
  if (mode === "stream") {
    const stream = client.messages.stream(request);
    stream.on("text", (text) => partial.push(text));
    return stream.finalMessage();
  }
  throw new Error(`unknown mode ${mode}`);
}

const partial = [];
try {
  const message = await summarize(process.argv[2], partial);
  const text = message.content.filter((block) => block.type === "text").map((block) => block.text).join("");
  console.log(JSON.stringify({ ok: true, stop_reason: message.stop_reason, text }));
} catch (error) {
  console.log(JSON.stringify({
    ok: false,
    error: error.constructor.name,
    message: error.message,
    status: error.status ?? null,
    partial: partial.join(""),
  }));
}
