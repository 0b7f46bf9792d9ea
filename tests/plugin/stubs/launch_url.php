<?php
// Prints the URL the plugin's embed::launch_url() builds, with Moodle's get_config() and moodle_url
// stubbed: php launch_url.php <plugin dir> <portal url> <secret> <userid> <cmid> <now>
define('MOODLE_INTERNAL', true);

function get_config($plugin, $name) {
    global $argv;
    return ['portalurl' => $argv[2], 'embedsecret' => $argv[3]][$name];
}

class moodle_url {
    private $url;
    public function __construct($base, array $params = []) {
        $this->url = $base . ($params ? '?' . http_build_query($params, '', '&') : '');
    }
    public function out($escaped = true) {
        return $this->url;
    }
}

require($argv[1] . '/classes/embed.php');
$url = \assignsubmission_streamportal\embed::launch_url((int)$argv[4], (int)$argv[5], (int)$argv[6]);
echo $url ? $url->out(false) : '';
