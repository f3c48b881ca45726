/**
 * Before any test: the `lambda-av` command's compiled copy (dist/) is brought up to date once, if
 * src/ changed since it was built. Tests that run the command then never see it compile itself
 * (bin/lambda-av.js would, and say so on stderr, which they check), whichever test runs first.
 */
module.exports = async () => {
  const build = require('../../scripts/build-cli.js');
  if (!build.isFresh() && build.canBuild()) build.build();
};
