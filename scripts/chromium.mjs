/**
 * How every browser run of this repository starts Chromium: Debian's build unless CHROMIUM_PATH
 * says otherwise (no test tool downloads a browser), with WebGPU enabled (SwiftShader when there
 * is no GPU), the WebNN flag on so that its capability failure is real, and background
 * networking off so a closed network does not stall the browser.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=WebMachineLearningNeuralNetwork',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
