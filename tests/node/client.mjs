// Drives @anthropic-ai/sdk the way a Node app does, against ANTHROPIC_BASE_URL (a claude-fakes
// scope). Usage: node client.mjs create|stream [timeoutMs]. Prints one JSON line: what the caller saw.
import Anthropic from "@anthropic-ai/sdk";

const [mode, timeoutArg] = process.argv.slice(2);
const client = new Anthropic(timeoutArg ? { timeout: Number(timeoutArg) } : {});
const request = { model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "hi" }] };
const started = Date.now();

function report(fields) {
  console.log(JSON.stringify({ ...fields, ms: Date.now() - started }));
}

try {
  if (mode === "create") {
    const message = await client.messages.create(request);
    report({ ok: true, stop_reason: message.stop_reason, text: message.content[0]?.text ?? null });
  } else if (mode === "stream") {
    const events = [];
    const stream = client.messages.stream(request);
    stream.on("streamEvent", (event) => events.push(event.type));
    const message = await stream.finalMessage();
    report({ ok: true, stop_reason: message.stop_reason, events });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (error) {
  report({
    ok: false,
    error: error?.constructor?.name ?? String(error),
    message: String(error?.message ?? error),
    status: error?.status ?? null,
    isConnectionError: error instanceof Anthropic.APIConnectionError,
    isTimeout: error instanceof Anthropic.APIConnectionTimeoutError,
  });
}
