export function pickRetrieval(round) {
  const cids = ["bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", "bafkqaaa"];
  return { cid: cids[round % cids.length], round };
}
