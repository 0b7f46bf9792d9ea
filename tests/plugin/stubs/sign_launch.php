<?php
// Prints the plugin's sign-in link signature for the values given on the command line:
// php sign_launch.php <plugin dir> <secret> <userid> <cmid> <expires> <nonce>
require($argv[1] . '/classes/embed.php');
echo \assignsubmission_streamportal\embed::launch_signature($argv[2], (int)$argv[3], (int)$argv[4], (int)$argv[5], $argv[6]);
