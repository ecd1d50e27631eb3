// Drives @anthropic-ai/sdk (or bedrock-sdk, vertex-sdk) the way a Node app does, against
// ANTHROPIC_BASE_URL (a claude-fakes scope). Usage: node client.mjs create|stream|toolloop|orphan
// [timeoutMs]; CLAUDE_FAKES_PLATFORM=bedrock|vertex for the platform SDKs, with dummy credentials.
// Prints one JSON line: what the caller saw.
import Anthropic from "@anthropic-ai/sdk";
// Bedrock's and Vertex's SDKs are imported only when used (loading both took a third of each run's start-up).

const [mode, timeoutArg] = process.argv.slice(2);
const platform = process.env.CLAUDE_FAKES_PLATFORM ?? "anthropic";
const options = { ...(timeoutArg ? { timeout: Number(timeoutArg) } : {}), baseURL: process.env.ANTHROPIC_BASE_URL };
const clients = {
  anthropic: async () => new Anthropic(options),
  bedrock: async () => new (await import("@anthropic-ai/bedrock-sdk")).AnthropicBedrock({
    ...options, awsRegion: "us-east-1", awsAccessKey: "AKIAEXAMPLEEXAMPLE00", awsSecretKey: "not-a-real-secret" }),
  // vertex-sdk 1.1 takes its token from an AuthClient only (accessToken is kept but unused): a stub
  // one, so google-auth never looks for credentials on the network.
  vertex: async () => new (await import("@anthropic-ai/vertex-sdk")).AnthropicVertex({
    ...options, region: "us-east5", projectId: "claude-fakes-test",
    authClient: { getRequestHeaders: async () => new Headers({ authorization: "Bearer ya29.not-a-real-token" }) } }),
};
const models = { anthropic: "claude-sonnet-4-6", bedrock: "anthropic.claude-sonnet-4-5-20250929-v1:0",
                 vertex: "claude-sonnet-4-5@20250929" };
const client = await clients[platform]();
const request = { model: models[platform], max_tokens: 100, messages: [{ role: "user", content: "hi" }] };
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
    report({ ok: true, id: message.id, stop_reason: message.stop_reason, text: message.content[0]?.text ?? null });
  } else if (mode === "stream") {
    const events = [];
    const stream = client.messages.stream(request);
    stream.on("streamEvent", (event) => events.push(event.type));
    const message = await stream.finalMessage();
    report({ ok: true, id: message.id, stop_reason: message.stop_reason, text: message.content[0]?.text ?? null,
             events });
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
