<?php
// Prints the plugin's embed signature for the values given on the command line:
// php sign.php <plugin dir> <secret> <uid> <viewer> <cmid> <expires>
require($argv[1] . '/classes/embed.php');
echo \assignsubmission_streamportal\embed::signature($argv[2], $argv[3], (int)$argv[4], (int)$argv[5], (int)$argv[6]);
