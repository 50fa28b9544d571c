// Tiny, valid media for the image and audio scenarios (they check type, data and mimeType).

/** A 1x1 red PNG (8-bit RGB), generated once with zlib and kept as text. */
export const SAMPLE_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

let wav;

/** 10 ms of silence as 8 kHz mono 8-bit PCM WAV, built from the RIFF layout. */
export function sampleWavBase64() {
  if (wav) return wav;
  const sampleRate = 8000;
  const samples = Buffer.alloc(sampleRate / 100, 0x80); // 0x80 is silence for unsigned 8-bit PCM
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // channels
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate, 28); // byte rate: rate * channels * bytes per sample
  header.writeUInt16LE(1, 32); // block align
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples.length, 40);
  wav = Buffer.concat([header, samples]).toString('base64');
  return wav;
}
