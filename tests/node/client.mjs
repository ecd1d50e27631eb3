// Drives @anthropic-ai/sdk the way a Node app does, against ANTHROPIC_BASE_URL (a claude-fakes
// scope). Usage: node client.mjs create|stream|toolloop|orphan [timeoutMs]. Prints one JSON line:
// what the caller saw.
import Anthropic from "@anthropic-ai/sdk";

const [mode, timeoutArg] = process.argv.slice(2);
const client = new Anthropic(timeoutArg ? { timeout: Number(timeoutArg) } : {});
const request = { model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content: "hi" }] };
const started = Date.now();
const weatherTool = {
  name: "get_weather",
  description: "The weather in a city.",
  input_schema: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
    required: ["city", "unit"],
  },
};

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
  } else if (mode === "toolloop") {
    // A tool loop: answer every tool call until the model answers with text (at most 8 turns).
    const messages = [{ role: "user", content: "Weather in Paris?" }];
    const inputs = [];
    for (let turn = 1; turn <= 8; turn++) {
      const message = await client.messages.create({ ...request, tools: [weatherTool], messages });
      if (message.stop_reason !== "tool_use") {
        report({ ok: true, turns: turn, text: message.content[0]?.text ?? null, inputs });
        break;
      }
      const calls = message.content.filter((block) => block.type === "tool_use");
      inputs.push(...calls.map((block) => block.input));
      messages.push({ role: "assistant", content: message.content });
      messages.push({ role: "user", content: calls.map((block) => (
        { type: "tool_result", tool_use_id: block.id, content: "sunny" })) });
    }
  } else if (mode === "orphan") {
    // A history that keeps a tool call and lost its result.
    const messages = [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_01orphan", name: "get_weather",
                                       input: { city: "Paris", unit: "celsius" } }] },
      { role: "user", content: "Well?" },
    ];
    await client.messages.create({ ...request, tools: [weatherTool], messages });
    report({ ok: true });
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
